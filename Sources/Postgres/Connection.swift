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
/// executed with `$n` parameters in text format.
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
    /// Session settings to restore after a reconnect (name → value).
    private var sessionSettings: [(String, String)] = []
    /// The client gave up waiting for an answer: the connection must be reset before reuse.
    private var abandoned = false
    public let url: String
    /// The server's `statement_timeout` for this session, in seconds (nil: the server's default),
    /// and the base of the client's own deadline (`statementTimeout + answerMargin`).
    public let statementTimeout: Double?

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

    public init(url: String, applicationName: String = "berth", statementTimeout: Double? = nil) throws {
        self.url = url
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout.flatMap { $0 > 0 ? $0 : nil }
        try ConnectionString.check(url)
        conn = Connection.connect(url)
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
    private static func connect(_ url: String) -> OpaquePointer? {
        let environment = ProcessInfo.processInfo.environment
        var pairs: [(String, String)] = defaultParameters.filter {
            !($0.key == "connect_timeout" && !(environment["PGCONNECT_TIMEOUT"] ?? "").isEmpty)
        }.map { ($0.key, $0.value) }
        pairs.append(("dbname", url))
        let keys = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer { for pointer in keys + values { free(pointer) } }
        let keyPointers: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        let valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        return PQconnectdbParams(keyPointers, valuePointers, 1)
    }

    /// Every timestamp Berth reads is UTC, and every connection is named in pg_stat_activity.
    private let applicationName: String

    private func configureSession() throws {
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
        let cStrings: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0) } ?? nil }
        defer { for pointer in cStrings { free(pointer) } }
        let values: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        let result = try values.withUnsafeBufferPointer { buffer in
            try exchange(operation: sql.name) { PQsendQueryPrepared($0, sql.name, Int32(params.count), buffer.baseAddress, nil, nil, 0) }
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
        return Outcome(rows: Connection.rows(of: result, operation: sql.name), affected: Int(String(cString: PQcmdTuples(result))) ?? 0)
    }

    /// Sends one request and collects its results within the client's deadline: the first
    /// error, else the last result (as `PQexec` does). The caller clears what it gets.
    private func exchange(operation: String, _ send: (OpaquePointer?) -> Int32) throws -> OpaquePointer {
        guard send(conn) == 1 else {
            throw PostgresError(.connection, operation: operation, message: Connection.errorMessage(conn))
        }
        let deadline = statementTimeout.map { Date().addingTimeInterval($0 + Connection.answerMargin) }
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
        guard let kept else {
            throw PostgresError(.connection, operation: operation, message: Connection.errorMessage(conn))
        }
        return kept
    }

    /// Reads until a result is complete. Past the deadline the connection is abandoned: the
    /// socket is shut down (the server ends the statement when it notices) and the next call
    /// reconnects.
    private func awaitResult(deadline: Date?, operation: String, discard: () -> Void) throws {
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

    private static func isError(_ result: OpaquePointer) -> Bool {
        let status = PQresultStatus(result)
        return !(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)
    }

    private func check(_ result: OpaquePointer?, operation: String) throws {
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
