import CLibPQ
import Foundation
import Glibc

/// One libpq connection. It owns its `PGconn` and frees it in `deinit`.
///
/// A connection is used by one thread at a time (its owner, or whoever checked it out of a
/// `ConnectionPool`); every call blocks that thread, which is why Berth runs database work on
/// dedicated threads and never on Swift's cooperative pool.
///
/// Statements are `SQL` constants: each is prepared once per connection under its name and then
/// executed with `$n` parameters in text format. Behind a pooler in transaction mode
/// (`PoolMode.transaction`) nothing outlives a statement's transaction instead: statements go
/// unnamed, and the session settings are set `LOCAL` in the same round trip
/// (`Connection+Pooled.swift`).
///
/// Every wait is bounded (see docs/queue.md, "Bounded waits"): connecting by `connect_timeout`,
/// a dead peer by TCP keepalives and `tcp_user_timeout` (defaults below unless the URL sets
/// them), and with a `statementTimeout` each statement by the server's `statement_timeout` and,
/// should the server not answer at all (frozen, or a link that swallows packets), by the
/// client's own deadline a moment later, after which the connection is dropped.
///
/// Before each statement the connection checks whether the server closed it while it sat idle
/// (a restart, `pg_terminate_backend`) and if so reconnects (`PQreset`), prepares again,
/// restores its session settings and re-subscribes to its channels: the first statement after a
/// server restart does not fail.
public final class Connection: @unchecked Sendable {
    private var conn: OpaquePointer?
    private var prepared: Set<String> = []
    public private(set) var listening: [String] = []
    /// Session settings to restore after a reconnect (name → value); behind a transaction
    /// pooler, the settings each statement runs with.
    private(set) var sessionSettings: [(String, String)] = []
    /// The client gave up waiting for an answer: the connection must be reset before reuse.
    private var abandoned = false
    public let url: String
    /// The server's `statement_timeout` for this session, in seconds (nil: the server's default),
    /// and the base of the client's own deadline (`statementTimeout + answerMargin`).
    public let statementTimeout: Double?
    /// What the server behind `url` keeps between statements.
    public let poolMode: PoolMode

    /// How long past its `statement_timeout` the client still waits for the server's answer
    /// (the server cancels the statement itself; this covers a server that cannot answer).
    public static let answerMargin = 1.0

    /// Connection parameters Berth sets unless the URL (or, for the connect timeout, the
    /// `PGCONNECT_TIMEOUT` environment variable) sets them. Keepalives find a dead server behind
    /// an idle connection within about 25 s (10 s idle, then 3 probes 5 s apart), and
    /// `tcp_user_timeout` drops one whose sent data goes unacknowledged for 25 s.
    public static let defaultParameters: KeyValuePairs<String, String> = [
        "connect_timeout": "10", "keepalives": "1", "keepalives_idle": "10", "keepalives_interval": "5",
        "keepalives_count": "3", "tcp_user_timeout": "25000",
    ]

    public init(url: String, applicationName: String = "berth", statementTimeout: Double? = nil, poolMode: PoolMode = .session) throws {
        self.url = url
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout.flatMap { $0 > 0 ? $0 : nil }
        self.poolMode = poolMode
        try ConnectionString.check(url)
        // A pooler keeps the name a client connected with (PgBouncer tracks application_name),
        // not one set later by a statement.
        conn = Connection.connect(url, after: poolMode == .transaction ? [("application_name", applicationName)] : [])
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = ConnectionString.redact(Connection.errorMessage(conn), in: url)
            PQfinish(conn)
            conn = nil
            throw PostgresError(.connection, operation: "connect", message: message)
        }
        // libpq prints notices to stderr by default; the server's goodbye on an idle connection
        // ("terminating connection due to administrator command") arrives as one. Errors that
        // matter reach the caller as results.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        try configureSession()
    }

    deinit {
        PQfinish(conn)
    }

    /// Connects with `defaultParameters` placed before the URL, so that the URL's own values win
    /// (libpq: later entries override earlier ones, and an expanded `dbname` counts as its place).
    private static func connect(_ url: String, after: [(String, String)]) -> OpaquePointer? {
        let environment = ProcessInfo.processInfo.environment
        var pairs: [(String, String)] = defaultParameters.filter {
            !($0.key == "connect_timeout" && !(environment["PGCONNECT_TIMEOUT"] ?? "").isEmpty)
        }.map { ($0.key, $0.value) }
        pairs.append(("dbname", url))
        pairs += after
        let keys = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer { for pointer in keys + values { free(pointer) } }
        let keyPointers: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        let valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        return PQconnectdbParams(keyPointers, valuePointers, 1)
    }

    /// Every timestamp Berth reads is UTC, and every connection is named in pg_stat_activity.
    public let applicationName: String

    /// Called after each reconnect (a server restart, an idle connection the server closed, a
    /// statement the client gave up on): where the connection's owner logs it.
    public var onReconnect: ((Connection) -> Void)?

    private func configureSession() throws {
        // Behind a transaction pooler the settings go with each statement (`pooledSettings`).
        guard poolMode == .session else { return }
        let timeout = statementTimeout.map { String(Int(($0 * 1000).rounded(.up))) } ?? ""
        try run(SQL("session_setup", """
            select set_config('TimeZone', 'UTC', false), set_config('application_name', $1, false),
                   set_config('client_min_messages', 'warning', false),
                   case when $2 <> '' then set_config('statement_timeout', $2, false) end
            """), [applicationName, timeout])
        for (name, value) in sessionSettings { try run(Connection.setConfig, [name, value]) }
    }

    private static let setConfig = SQL("session_set_config", "select set_config($1, $2, false)")

    /// Sets a session parameter (e.g. `synchronous_commit`) that survives reconnects.
    public func setSessionParameter(_ name: String, _ value: String) throws {
        if poolMode == .session { try run(Connection.setConfig, [name, value]) }
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

    public var isConnected: Bool { !abandoned && PQstatus(conn) == CONNECTION_OK }

    /// The server's backend process id for this connection (handy in tests and logs).
    public var backendPID: Int32 { PQbackendPID(conn) }

    /// The value libpq uses for a connection parameter (e.g. `connect_timeout`), nil when unset.
    public func parameter(_ keyword: String) -> String? {
        guard let options = PQconninfo(conn) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let name = option.pointee.keyword {
            if String(cString: name) == keyword { return option.pointee.val.map { String(cString: $0) } }
            option += 1
        }
        return nil
    }

    /// Re-establishes a connection that broke or that the server closed while it was idle:
    /// prepared statements, session settings and LISTENs are set up again. True when it did.
    @discardableResult
    public func reconnectIfNeeded() throws -> Bool {
        if !abandoned && PQstatus(conn) == CONNECTION_OK {
            let inTransaction = PQtransactionStatus(conn) == PQTRANS_INTRANS || PQtransactionStatus(conn) == PQTRANS_INERROR
            guard serverClosedIdleConnection() else { return false }
            // The transaction is gone with the session: running the rest of it on a new one
            // would commit half of it. The caller's transaction fails; the next call reconnects.
            if inTransaction {
                throw PostgresError(.connection, operation: "reconnect",
                                    message: "the server closed the connection inside a transaction: \(Connection.errorMessage(conn))")
            }
        }
        abandoned = false
        PQreset(conn)
        prepared.removeAll()
        guard PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError(.connection, operation: "reconnect", message: ConnectionString.redact(Connection.errorMessage(conn), in: url))
        }
        try configureSession()
        let channels = listening
        listening.removeAll()
        for channel in channels { try listen(channel) }
        onReconnect?(self)
        return true
    }

    /// Whether the server closed this idle connection. Its socket is readable only when something
    /// arrived unasked: notifications (kept for `waitForNotifications`), or the server's goodbye
    /// and then the end of the stream. One `poll` without waiting when nothing arrived.
    private func serverClosedIdleConnection() -> Bool {
        var fd = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        // A goodbye and the end of the stream may take two reads; notifications a few.
        for _ in 0..<8 {
            fd.revents = 0
            guard poll(&fd, 1, 0) > 0 else { return false }
            if PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK { return true }
        }
        return false
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
        let result = try exchange(operation: operation) { PQsendQuery($0, text) }
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
        if poolMode == .transaction { return try runPooled(sql, params) }
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
            let result = try exchange(operation: sql.name) { PQsendPrepare($0, sql.name, sql.text, Int32(params.count), nil) }
            defer { PQclear(result) }
            try check(result, operation: sql.name)
            prepared.insert(sql.name)
        }
        let texts = params.map { $0.postgresText }
        let result = try Connection.withCStrings(texts) { values in
            try exchange(operation: sql.name) { PQsendQueryPrepared($0, sql.name, Int32(params.count), values, nil, nil, 0) }
        }
        defer { PQclear(result) }
        return try outcome(of: result, sql, texts)
    }

    /// A statement's rows and count from its result, or its error, with the bound values cut
    /// out: the server quotes bad input back ("invalid input syntax …: \"<value>\""), and a
    /// bound value may be a secret (unless the statement says its values are harmless).
    func outcome(of result: OpaquePointer, _ sql: SQL, _ texts: [String?]) throws -> Outcome {
        do {
            try check(result, operation: sql.name)
        } catch var error as PostgresError {
            if sql.redactsParameters { error.redact(texts.compactMap { $0 }) }
            throw error
        }
        return Outcome(rows: Connection.rows(of: result, operation: sql.name), affected: Int(String(cString: PQcmdTuples(result))) ?? 0)
    }

    /// Lends `texts` to libpq as C strings (nil: SQL NULL).
    static func withCStrings<T>(_ texts: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws -> T) rethrows -> T {
        let cStrings: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0) } ?? nil }
        defer { for pointer in cStrings { free(pointer) } }
        let values: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        return try values.withUnsafeBufferPointer { try body($0.baseAddress) }
    }

    /// Sends one request and collects its results within the client's deadline: the first
    /// error, else the last result (as `PQexec` does). The caller clears what it gets.
    private func exchange(operation: String, _ send: (OpaquePointer?) -> Int32) throws -> OpaquePointer {
        guard send(conn) == 1 else {
            throw PostgresError(.connection, operation: operation, message: Connection.errorMessage(conn))
        }
        guard let kept = try collect(operation: operation, deadline: deadline()) else {
            throw PostgresError(.connection, operation: operation, message: Connection.errorMessage(conn))
        }
        return kept
    }

    /// When the client stops waiting for an answer to what it sends now.
    func deadline() -> Date? {
        statementTimeout.map { Date().addingTimeInterval($0 + Connection.answerMargin) }
    }

    /// The results of one statement, up to libpq's end marker: the first error, else the last
    /// result; nil when there was none. The caller clears what it gets.
    func collect(operation: String, deadline: Date?) throws -> OpaquePointer? {
        var kept: OpaquePointer?
        while true {
            try awaitResult(deadline: deadline, operation: operation) { kept.map { PQclear($0) } }
            guard let result = PQgetResult(conn) else { break }
            if let current = kept, Connection.isError(current) {
                PQclear(result)
            } else {
                kept.map { PQclear($0) }
                kept = result
            }
        }
        return kept
    }

    /// Reads until a result is complete. Past the deadline the connection is abandoned: the
    /// socket is shut down (the server ends the statement when it notices) and the next call
    /// reconnects.
    func awaitResult(deadline: Date?, operation: String, discard: () -> Void) throws {
        while PQisBusy(conn) == 1 {
            var millis: Int32 = -1
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 {
                    discard()
                    abandoned = true
                    shutdown(PQsocket(conn), Int32(SHUT_RDWR))
                    throw PostgresError(.connection, operation: operation, message:
                        "no answer from the server within \(Connection.seconds(statementTimeout! + Connection.answerMargin)) (statement timeout \(Connection.seconds(statementTimeout!)) + \(Connection.seconds(Connection.answerMargin))); the connection was closed")
                }
                millis = Int32(min(left * 1000, Double(Int32.max)).rounded(.up))
            }
            var fd = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
            let ready = poll(&fd, 1, millis)
            if ready < 0 && errno != EINTR {
                throw PostgresError(.connection, operation: operation, message: "poll failed: errno \(errno)")
            }
            // A lost connection makes PQgetResult return its error at once.
            if ready > 0 && PQconsumeInput(conn) == 0 { return }
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : String(format: "%.3gs", value)
    }

    static func isError(_ result: OpaquePointer) -> Bool {
        let status = PQresultStatus(result)
        return !(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)
    }

    func check(_ result: OpaquePointer?, operation: String) throws {
        guard let result else {
            throw PostgresError(.connection, operation: operation, message: Connection.errorMessage(conn))
        }
        if !Connection.isError(result) { return }
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

    static func rows(of result: OpaquePointer, operation: String) -> [Row] {
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

    /// The libpq handle, for this type's extensions only (the connection still owns it).
    var handle: OpaquePointer? { conn }

    /// Marks the connection for a reset before its next use (an exchange was cut short).
    func abandon() { abandoned = true }

    /// Reads what arrived; false when the connection was lost.
    func consumeInput() -> Bool {
        PQconsumeInput(conn) != 0 && PQstatus(conn) == CONNECTION_OK
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
