import CCurl

/// A request that got no HTTP response: libcurl's code and its own message.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Timed out (connect or total).
        case timeout
        /// Could not connect, connection reset, or an empty/partial answer: worth a retry.
        case connection
        /// TLS verification or handshake failed: not a blip, do not retry.
        case tls
        /// A malformed URL or option: a bug or a bad endpoint setting.
        case invalidRequest
        case other
    }

    public let kind: Kind
    /// libcurl's `CURLcode`.
    public let code: Int
    /// libcurl's message: the detailed error buffer when it has one, else `curl_easy_strerror`.
    public let message: String
    /// The URL requested (never carries credentials: Berth signs with headers).
    public let url: String
    /// Whether any of the request reached the wire before it failed. False for a refused or
    /// timed-out connect and an unresolvable host: the server cannot have acted on it.
    public let requestSent: Bool

    public var description: String { "HTTP request to \(url) failed: \(message) (curl error \(code))" }

    init(code: CURLcode, message: String, url: String, requestSent: Bool) {
        self.code = Int(code.rawValue)
        self.message = message
        self.url = url
        self.kind = Self.kind(of: code)
        self.requestSent = requestSent
    }

    init(kind: Kind, message: String, url: String, requestSent: Bool = true) {
        self.kind = kind
        self.code = -1
        self.message = message
        self.url = url
        self.requestSent = requestSent
    }

    private static func kind(of code: CURLcode) -> Kind {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY,
             CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
             CURLE_HTTP2, CURLE_HTTP2_STREAM:
            .connection
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE:
            .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT:
            .invalidRequest
        default: .other
        }
    }
}
