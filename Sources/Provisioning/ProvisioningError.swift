/// Bad requests to provisioning (a message that says what is allowed) and failures that
/// tell the operator or tenant what to fix. Never carries a secret.
public enum ProvisioningError: Error, CustomStringConvertible {
    case invalid(String)
    case notFound(String)
    case failed(String)

    public var description: String {
        switch self {
        case .invalid(let message), .notFound(let message), .failed(let message): return message
        }
    }
}

/// The regions Berth supports (as the SQL API's `berth.supported_regions()`).
public enum Regions {
    public static let supported = ["us-east-1", "us-east-2", "us-west-1", "eu-central-1", "eu-west-2"]
    public static let fallback = "us-east-2"
}
