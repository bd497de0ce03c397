/// A request for ``HTTPClient``: fully formed, headers final (already signed).
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var timeouts: HTTPTimeouts
    /// Send on a new connection, never a kept-alive one. libcurl re-sends a request by itself
    /// when a reused connection dies before any answer, which must not happen to a create that
    /// AWS does not deduplicate: the first send may have taken effect.
    public var freshConnection: Bool

    public init(method: String, url: String, headers: [HTTPHeader] = [], body: [UInt8] = [], timeouts: HTTPTimeouts = HTTPTimeouts(),
                freshConnection: Bool = false) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.freshConnection = freshConnection
    }
}

/// Connect and total timeouts of one request, in seconds. Short on purpose: an AWS API call
/// answers in well under a second, and a longer wait belongs to the step engine (which
/// requeues the job) rather than to a blocked thread. 3 s lets one lost SYN be resent; 20 s
/// leaves room for the slowest calls Berth makes (a first IAM call in a new moto account takes
/// seconds, more on a loaded machine).
public struct HTTPTimeouts: Sendable, Hashable {
    public var connect: Double
    public var total: Double
    public init(connect: Double = 3, total: Double = 20) {
        self.connect = connect
        self.total = total
    }
}

/// A response: status, headers (names as sent), body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
