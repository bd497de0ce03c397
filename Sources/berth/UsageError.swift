import ArgumentParser
import Provisioning

/// Bad input from the command line or the environment: exit code 2, and the message says
/// what is allowed.
struct UsageError: BadInput, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// ArgumentParser's own refusal of a value (`validate()`).
extension ValidationError: BadInput {}
