/// Every failure of an AWS call: an AWS error answer, an undecodable answer, or a
/// transport failure. Carries enough context to act on and to debug, never a secret
/// (credentials are not part of it, and request bodies are not kept).
public struct AWSError: Error, Sendable, CustomStringConvertible {
    public var service: AWSService
    public var operation: String
    /// HTTP status, nil when no response arrived.
    public var httpStatus: Int?
    /// AWS's error code (`InvalidVpcID.NotFound`, `ThrottlingException`), or a Berth
    /// code for failures without one: `Transport`, `UnparseableResponse`, `HTTP<status>`.
    public var code: String
    public var message: String
    public var requestId: String?
    public var classification: AWSErrorClassification
    /// How many attempts the call made before giving up.
    public var attempts: Int

    public init(service: AWSService, operation: String, httpStatus: Int?, code: String, message: String,
                requestId: String? = nil, classification: AWSErrorClassification? = nil, attempts: Int = 1) {
        self.service = service
        self.operation = operation
        self.httpStatus = httpStatus
        self.code = code
        self.message = message
        self.requestId = requestId
        self.classification = classification ?? AWSErrorClassification.classify(code: code, httpStatus: httpStatus)
        self.attempts = attempts
    }

    /// Throttled and transient errors are worth retrying later.
    public var isRetryable: Bool { classification.isRetryable }

    public var description: String {
        var text = "\(service.rawValue).\(operation) failed: \(code)"
        if !message.isEmpty { text += ": \(message)" }
        var context = ["\(classification)"]
        if let httpStatus { context.append("HTTP \(httpStatus)") }
        if let requestId { context.append("request id \(requestId)") }
        if attempts > 1 { context.append("\(attempts) attempts") }
        return text + " (" + context.joined(separator: ", ") + ")"
    }
}

extension AWSError {
    /// Whether an answer leaves open whether the request took effect: a 5xx other than
    /// throttling (AWS may have failed after acting). A 4xx is a refusal, and throttling
    /// (even EC2's 503 `RequestLimitExceeded`) is refused before anything is done.
    static func outcomeUnknown(httpStatus: Int, classification: AWSErrorClassification) -> Bool {
        httpStatus >= 500 && classification != .throttled
    }

    /// Turns a failure of a non-idempotent create into ``AWSErrorClassification/outcomeUnknown``.
    mutating func markOutcomeUnknown() {
        classification = .outcomeUnknown
        message += (message.isEmpty ? "" : "; ") + "the request may have taken effect, and it was not re-sent"
    }

    init(transport: HTTPTransportError, service: AWSService, operation: String) {
        let classification: AWSErrorClassification = switch transport.kind {
        case .timeout, .connection: .transient
        case .invalidRequest: .invalidInput
        case .tls, .other: .other
        }
        self.init(service: service, operation: operation, httpStatus: nil,
                  code: transport.kind == .timeout ? "Timeout" : "Transport",
                  message: transport.description, classification: classification)
    }
}
