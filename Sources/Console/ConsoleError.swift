/// What the console refuses or fails at. `description` never holds a password, a session token
/// or a hash.
public enum ConsoleError: Error, CustomStringConvertible {
    /// Bad input (exit 2 from the CLI), with what is allowed.
    case invalid(String)
    case notFound(String)
    case crypto(String)

    public var description: String {
        switch self {
        case .invalid(let message), .notFound(let message): return message
        case .crypto(let message): return "crypto: \(message)"
        }
    }
}
