import CLibPQ
import Foundation

/// One libpq connection. It owns its `PGconn` and frees it in `deinit`.
///
/// A connection is used by one thread at a time (its owner, or whoever checked it out of a
/// `ConnectionPool`); every call blocks that thread, which is why Berth runs database work on
/// dedicated threads and never on Swift's cooperative pool.
///
/// Statements are `SQL` constants: each is prepared once per connection under its name and then
/// executed with `$n` parameters in text format. After the server restarts, the next call
/// reconnects (`PQreset`), prepares again and re-subscribes to the channels it listened on.
public final class Connection: @unchecked Sendable {
    private var conn: OpaquePointer?
    private var prepared: Set<String> = []
    public private(set) var listening: [String] = []
    /// Session settings to restore after a reconnect (name → value).
    private var sessionSettings: [(String, String)] = []
    public let url: String

    public init(url: String, applicationName: String = "berth") throws {
        self.url = url
        self.applicationName = applicationName
        try ConnectionString.check(url)
        conn = PQconnectdb(url)
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = ConnectionString.redact(Connection.errorMessage(conn), in: url)
            PQfinish(conn)
            conn = nil
            throw PostgresError(.connection, operation: "connect", message: message)
        }
        try configureSession()
    }

    deinit {
        PQfinish(conn)
    }

    /// Every timestamp Berth reads is UTC, and every connection is named in pg_stat_activity.
    private let applicationName: String

    private func configureSession() throws {
        try run(SQL("session_setup", "select set_config('TimeZone', 'UTC', false), set_config('application_name', $1, false), set_config('client_min_messages', 'warning', false)"),
                [applicationName])
        for (name, value) in sessionSettings { try run(Connection.setConfig, [name, value]) }
    }

    private static let setConfig = SQL("session_set_config", "select set_config($1, $2, false)")

    /// Sets a session parameter (e.g. `synchronous_commit`) that survives reconnects.
    public func setSessionParameter(_ name: String, _ value: String) throws {
        try run(Connection.setConfig, [name, value])
        sessionSettings.removeAll { $0.0 == name }
        sessionSettings.append((name, value))
    }

    /// Sets those of `settings` the session does not have yet (a cheap check on every call
    /// of a statement that needs them).
    public func ensureSessionParameters(_ settings: KeyValuePairs<String, String>) throws {
        for (name, value) in settings where !sessionSettings.contains(where: { $0.0 == name && $0.1 == value }) {
            try setSessionParameter(name, value)
        }
    }

    public var isConnected: Bool { PQstatus(conn) == CONNECTION_OK }

    /// The server's backend process id for this connection (handy in tests and logs).
    public var backendPID: Int32 { PQbackendPID(conn) }

    /// Re-establishes a broken connection: prepared statements and LISTENs are set up again.
    public func reconnectIfNeeded() throws {
        if PQstatus(conn) == CONNECTION_OK { return }
        PQreset(conn)
        prepared.removeAll()
        guard PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError(.connection, operation: "reconnect", message: Connection.errorMessage(conn))
        }
        try configureSession()
        let channels = listening
        listening.removeAll()
        for channel in channels { try listen(channel) }
    }

    // MARK: - Statements

    /// Runs a statement and returns its rows.
    @discardableResult
    public func query(_ sql: SQL, _ params: [any PostgresEncodable] = []) throws -> [Row] {
        try run(sql, params).rows
    }

    /// Runs a statement and returns the number of rows it changed.
    @discardableResult
    public func execute(_ sql: SQL, _ params: [any PostgresEncodable] = []) throws -> Int {
        try run(sql, params).affected
    }

    /// Runs a statement and returns its only row, or nil when it returned none.
    public func queryRow(_ sql: SQL, _ params: [any PostgresEncodable] = []) throws -> Row? {
        try run(sql, params).rows.first
    }

    /// Runs one or more statements of a script (no parameters): migrations, BEGIN/COMMIT.
    public func executeScript(_ text: String, operation: String) throws {
        try reconnectIfNeeded()
        let result = PQexec(conn, text)
        defer { PQclear(result) }
        try check(result, operation: operation)
    }

    struct Outcome {
        var rows: [Row]
        var affected: Int
    }

    @discardableResult
    func run(_ sql: SQL, _ params: [any PostgresEncodable]) throws -> Outcome {
        try reconnectIfNeeded()
        do {
            return try runPrepared(sql, params)
        } catch let error as PostgresError where error.sqlState == "0A000" || error.sqlState == "26000" {
            // The statement's cached plan went stale (a migration changed a table under it) or
            // the server forgot it: prepare it again once.
            if isConnected { try? executeScript("deallocate \"\(sql.name)\"", operation: "deallocate") }
            prepared.remove(sql.name)
            return try runPrepared(sql, params)
        }
    }

    private func runPrepared(_ sql: SQL, _ params: [any PostgresEncodable]) throws -> Outcome {
        if !prepared.contains(sql.name) {
            let result = PQprepare(conn, sql.name, sql.text, Int32(params.count), nil)
            defer { PQclear(result) }
            try check(result, operation: sql.name)
            prepared.insert(sql.name)
        }
        let texts = params.map { $0.postgresText }
        let cStrings: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0) } ?? nil }
        defer { for pointer in cStrings { free(pointer) } }
        let values: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        let result = values.withUnsafeBufferPointer { buffer in
            PQexecPrepared(conn, sql.name, Int32(params.count), buffer.baseAddress, nil, nil, 0)
        }
        defer { PQclear(result) }
        do {
            try check(result, operation: sql.name)
        } catch var error as PostgresError {
            // The server quotes bad input back ("invalid input syntax …: \"<value>\""): a bound
            // value may be a secret, so none may appear in an error (unless the statement says
            // its values are harmless).
            if sql.redactsParameters { error.redact(texts.compactMap { $0 }) }
            throw error
        }
        return Outcome(rows: Connection.rows(of: result!, operation: sql.name), affected: Int(String(cString: PQcmdTuples(result))) ?? 0)
    }

    private func check(_ result: OpaquePointer?, operation: String) throws {
        guard let result else {
            throw PostgresError(.connection, operation: operation, message: Connection.errorMessage(conn))
        }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY { return }
        let state = Connection.field(result, "C")
        let message = Connection.field(result, "M") ?? Connection.errorMessage(conn)
        let detail = Connection.field(result, "D")
        let lost = PQstatus(conn) != CONNECTION_OK
        throw PostgresError(lost && state == nil ? .connection : .server, operation: operation,
                            sqlState: state, message: message, detail: detail)
    }

    private static func field(_ result: OpaquePointer, _ code: Character) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
        return String(cString: value)
    }

    static func errorMessage(_ conn: OpaquePointer?) -> String {
        guard let conn, let text = PQerrorMessage(conn) else { return "no connection" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func rows(of result: OpaquePointer, operation: String) -> [Row] {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        guard rowCount > 0 else { return [] }
        let columns = ColumnIndex(names: (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) })
        var rows: [Row] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for c in 0..<columnCount {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
            rows.append(Row(columns: columns, values: values, operation: operation))
        }
        return rows
    }

    // MARK: - Internals shared with the notification extension

    var socket: Int32 { PQsocket(conn) }

    func consumeInput() throws {
        if PQconsumeInput(conn) == 0 {
            throw PostgresError(.connection, operation: "consume_input", message: Connection.errorMessage(conn))
        }
    }

    func nextNotification() -> Notification? {
        guard let raw = PQnotifies(conn) else { return nil }
        defer { PQfreemem(raw) }
        let item = raw.pointee
        return Notification(channel: String(cString: item.relname),
                            payload: item.extra.map { String(cString: $0) } ?? "",
                            senderPID: item.be_pid)
    }

    func quoteIdentifier(_ name: String) throws -> String {
        guard let quoted = PQescapeIdentifier(conn, name, name.utf8.count) else {
            throw PostgresError(.usage, operation: "quote_identifier", message: Connection.errorMessage(conn))
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    func recordListen(_ channel: String) {
        if !listening.contains(channel) { listening.append(channel) }
    }
}
