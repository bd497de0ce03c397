/// Bad input from the command line or the environment: exit code 2, and the message says
/// what is allowed.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
