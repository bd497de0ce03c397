/// A request for ``HTTPClient``: fully formed, headers final (already signed).
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var timeouts: HTTPTimeouts

    public init(method: String, url: String, headers: [HTTPHeader] = [], body: [UInt8] = [], timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }
}

/// Connect and total timeouts of one request, in seconds.
public struct HTTPTimeouts: Sendable, Hashable {
    public var connect: Double
    public var total: Double
    public init(connect: Double = 5, total: Double = 30) {
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
