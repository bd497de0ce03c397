import Foundation

/// A signed-in console user, as a request sees them.
public struct ConsoleUser: Sendable {
    public var id: Int64
    public var name: String
    /// Nil for an operator; else the one tenant this user acts for.
    public var tenant: String?
    /// The tenant-scoped database role the console takes for this user's requests.
    public var databaseRole: String?
    /// The session's CSRF token: every form carries it, every POST must send it back.
    var csrfToken: String

    public var isOperator: Bool { tenant == nil }
}
