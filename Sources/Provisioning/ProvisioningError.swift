/// Bad requests to provisioning (a message that says what is allowed) and failures that
/// tell the operator or tenant what to fix. Never carries a secret.
public enum ProvisioningError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case notFound(String)
    case failed(String)

    public var description: String {
        switch self {
        case .invalid(let message), .notFound(let message), .failed(let message): return message
        }
    }
}
