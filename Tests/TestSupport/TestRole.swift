import Foundation
import Postgres

/// A role of its own for one test. Roles are cluster-wide and the suite runs in parallel, so the
/// name is unique; the role is dropped on `deinit`. The test server trusts local connections,
/// so a LOGIN role connects without a password.
public final class TestRole: @unchecked Sendable {
    public let name: String
    private let db: TestDatabase
    private let admin: Connection

    /// `create role <unique name> <options>`, then `setup` with `%r` replaced by the name
    /// (e.g. "grant berth_client to %r").
    public init(_ prefix: String, in db: TestDatabase, options: String = "login", setup: String = "") throws {
        self.db = db
        admin = try db.connect()
        name = prefix + "_" + UUID().uuidString.prefix(8).lowercased()
        try admin.executeScript("create role \(name) \(options)", operation: "test_create_role")
        if !setup.isEmpty {
            try admin.executeScript(setup.replacingOccurrences(of: "%r", with: name), operation: "test_role_setup")
        }
    }

    /// A connection to the test database as this role (it needs LOGIN).
    public func connect() throws -> Connection {
        guard var url = URLComponents(string: db.url) else { throw SetupError("the test database URL is not a URI") }
        url.user = name
        return try Connection(url: url.string!, applicationName: "berth role test")
    }

    /// A session still open as the role (a connection the test has not released yet) keeps its
    /// temporary objects, which block DROP ROLE: end those sessions, then drop, with a deadline.
    deinit {
        let role = name
        try? admin.executeScript("""
            select pg_terminate_backend(pid) from pg_stat_activity where usename = '\(role)' and pid <> pg_backend_pid()
            """, operation: "test_end_role_sessions")
        try? poll(timeout: 10, every: 0.05, "drop role \(role)") {
            do {
                try admin.executeScript("drop role if exists \(role)", operation: "test_drop_role")
                return true
            } catch {
                return false
            }
        }
    }
}
