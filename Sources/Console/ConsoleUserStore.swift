import Foundation
import Postgres

/// Console users and sessions, read and written as the database owner (the CLI's
/// `console user …` commands and the console's login). SQL in `ConsoleSQL`.
public struct ConsoleUserStore {
    public let connection: Connection

    public init(_ connection: Connection) {
        self.connection = connection
    }

    /// How long a session lasts from sign-in.
    public static let sessionLifetime: Double = 12 * 3600

    static let namePattern = try! NSRegularExpression(pattern: "^[a-z][a-z0-9._-]{0,62}$")

    static func checkName(_ name: String) throws {
        guard namePattern.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil else {
            throw ConsoleError.invalid("console user name \(quoted(name)) is not allowed: use 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter")
        }
    }

    /// The role a tenant-bound user's requests run as: one per tenant, shared by its users.
    public static func role(forTenant tenant: String) -> String { "berth_console_\(tenant)" }

    /// Adds a user. With a tenant: makes (once) the tenant's console role, grants it the tenant
    /// with `berth.grant_tenant`, and makes it a role this connection's role may `SET ROLE` to.
    public func add(name: String, tenant: String?, passwordHash: String) throws {
        try Self.checkName(name)
        try connection.transaction { connection in
            if try connection.queryRow(ConsoleSQL.userExists, [name]) != nil {
                throw ConsoleError.invalid("console user \(Self.quoted(name)) already exists: delete it first (berth console user delete \(name))")
            }
            var role: String?
            if let tenant {
                guard try connection.queryRow(ConsoleSQL.tenantExists, [tenant]) != nil else {
                    throw ConsoleError.invalid("unknown tenant \(Self.quoted(tenant)): create it first (berth tenant create)")
                }
                let tenantRole = Self.role(forTenant: tenant)
                if try connection.queryRow(ConsoleSQL.roleExists, [tenantRole]) == nil {
                    try connection.executeScript(try statement(ConsoleSQL.createRole, [tenantRole]), operation: "console_create_role")
                }
                _ = try connection.query(ConsoleSQL.grantTenant, [tenantRole, tenant])
                try connection.executeScript(try statement(ConsoleSQL.grantRoleToSelf, [tenantRole]), operation: "console_grant_role")
                role = tenantRole
            }
            _ = try connection.query(ConsoleSQL.addUser, [name, tenant, role, passwordHash])
        }
    }

    /// Removes a user and their sessions; false when there was none of that name.
    public func delete(name: String) throws -> Bool {
        try connection.queryRow(ConsoleSQL.deleteUser, [name]) != nil
    }

    public struct Listed: Sendable {
        public var name: String
        public var tenant: String?
        public var createdAt: Date
        public var sessions: Int
    }

    public func list() throws -> [Listed] {
        try connection.query(ConsoleSQL.listUsers).map {
            Listed(name: try $0.decode("name"), tenant: try $0.decodeIfPresent("tenant"), createdAt: try $0.decode("created_at"),
                   sessions: try $0.decode("sessions"))
        }
    }

    /// The id and password hash of user `name`, or nil (the caller verifies the password
    /// against `PasswordHash.decoy` then, so an unknown name takes as long as a known one).
    func login(name: String) throws -> (id: Int64, hash: String)? {
        guard let row = try connection.queryRow(ConsoleSQL.userForLogin, [name]) else { return nil }
        return (try row.decode("id"), try row.decode("password_hash"))
    }

    /// Starts a session: returns the cookie's token (only its hash is stored).
    func createSession(userId: Int64) throws -> String {
        let token = try Random.token()
        _ = try connection.query(ConsoleSQL.createSession, [Random.sha256Hex(token), userId, try Random.token(), Self.sessionLifetime])
        return token
    }

    /// The user whose unexpired session `token` is, or nil.
    func session(token: String) throws -> ConsoleUser? {
        guard token.utf8.count == 43 else { return nil }
        guard let row = try connection.queryRow(ConsoleSQL.session, [Random.sha256Hex(token)]) else { return nil }
        return ConsoleUser(id: try row.decode("id"), name: try row.decode("name"), tenant: try row.decodeIfPresent("tenant"),
                           databaseRole: try row.decodeIfPresent("db_role"), csrfToken: try row.decode("csrf_token"))
    }

    func endSession(token: String) throws {
        _ = try connection.query(ConsoleSQL.endSession, [Random.sha256Hex(token)])
    }

    func purgeExpiredSessions() throws {
        _ = try connection.query(ConsoleSQL.purgeSessions)
    }

    /// A statement with identifiers quoted by the server (`format('… %I', $1)`): roles cannot
    /// be `$n` parameters.
    private func statement(_ sql: SQL, _ identifiers: [String]) throws -> String {
        guard let text: String = try connection.queryRow(sql, identifiers)?.decode("statement") else {
            throw ConsoleError.invalid("could not build \(sql.name)")
        }
        return text
    }

    static func quoted(_ value: String) -> String {
        let cut = value.count > 64 ? String(value.prefix(63)) + "…" : value
        return "'" + cut.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? String(format: "\\u%04x", $0.value) : String($0) }.joined() + "'"
    }
}
