import Foundation

/// An error from the database layer. It names the operation (the SQL constant's name) and
/// carries Postgres's SQLSTATE and message; it never contains parameter values, so a secret
/// bound as a parameter cannot leak through it.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The connection failed or was lost; the statement may or may not have run.
        case connection
        /// The server rejected the statement (see `sqlState`).
        case server
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// The caller misused the API (e.g. asked for a column that does not exist).
        case usage
    }

    public var kind: Kind
    public var operation: String
    public var sqlState: String?
    public var message: String
    public var detail: String?

    public init(_ kind: Kind, operation: String, sqlState: String? = nil, message: String, detail: String? = nil) {
        self.kind = kind
        self.operation = operation
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
    }

    /// SQLSTATE class 08 (connection exception) or a lost connection seen by libpq.
    public var isConnectionError: Bool {
        kind == .connection || (sqlState?.hasPrefix("08") ?? false)
            || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    /// Replaces every occurrence of `values` (bound parameters) in the message and detail.
    mutating func redact(_ values: [String]) {
        for value in values where value.count >= 4 {
            message = message.replacingOccurrences(of: value, with: "[redacted]")
            detail = detail?.replacingOccurrences(of: value, with: "[redacted]")
        }
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isInvalidParameter: Bool { sqlState == "22023" }

    public var description: String {
        var text = "postgres \(kind.rawValue) error in \(operation)"
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        text += ": \(message)"
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        return text
    }
}
