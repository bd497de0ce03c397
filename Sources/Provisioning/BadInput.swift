import Postgres
import Queue

/// An error that is the caller's input's fault (a bad value, an unknown name or id): the CLI
/// exits 2 for it and 1 for anything else. An error type says which of its values are; the
/// CLI asks only this.
public protocol BadInput: Error {
    var isBadInput: Bool { get }
}

extension BadInput {
    public var isBadInput: Bool { true }
}

extension ProvisioningError: BadInput {
    public var isBadInput: Bool {
        if case .invalid = self { true } else { false }
    }
}

/// A master key that is not 32 bytes of base64, or a secret none of the given keys opens.
extension SecretError: BadInput {}

/// A bad enqueue, or no job with that id (like `cluster show` of a missing cluster).
extension QueueError: BadInput {}

extension PostgresError: BadInput {
    /// The SQL API's refusals (SQLSTATE 22023, and any other data exception 22xxx), and a
    /// database URL libpq cannot parse.
    public var isBadInput: Bool {
        isInvalidParameter || sqlState?.hasPrefix("22") == true || isMalformedConnectionString
    }
}
