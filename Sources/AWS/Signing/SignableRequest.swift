/// One HTTP header as sent on the wire.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One query parameter, not percent-encoded (the signer encodes).
public struct QueryItem: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The parts of an HTTP request that SigV4 covers.
///
/// `path` is the decoded path (`/example space/`), which the signer percent-encodes
/// once, as AWS's test suite expects; Berth's own requests always use `/`.
public struct SignableRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [QueryItem]
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(method: String, path: String = "/", query: [QueryItem] = [], headers: [HTTPHeader], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}
