/// How the server behind a connection URL keeps sessions: what `Connection` may leave on a
/// session between statements.
public enum PoolMode: String, Sendable, CaseIterable {
    /// A direct connection to PostgreSQL, or a pooler in session mode: one server session for
    /// the connection's life. Statements are prepared once under their names, and settings are
    /// set for the session.
    case session
    /// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`): each transaction
    /// may run on another server session, so nothing may outlive one. Statements are sent
    /// unnamed (PgBouncer 1.18, Debian 12's, cannot carry named prepared statements from one
    /// server session to the next), the connection's settings are set `LOCAL` before each
    /// statement, in the same round trip, and LISTEN is refused (it needs a session of its own:
    /// see `Database.listenURL`).
    case transaction

    /// A flag's or variable's value, case-insensitive; nil for anything else (the caller quotes it
    /// with `allowed`).
    public static func parse(_ text: String) -> PoolMode? {
        PoolMode(rawValue: text.lowercased())
    }

    public static var allowed: String { allCases.map(\.rawValue).joined(separator: " or ") }
}
