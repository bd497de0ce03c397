import CLibPQ
import Foundation

/// Statements behind a pooler in transaction mode (`PoolMode.transaction`, PgBouncer): each
/// transaction may run on another server session, so a statement can rely on nothing a
/// previous one left there.
///
/// - Unnamed statements (`PQsendQueryParams`): a named prepared statement lives on the server
///   session that prepared it, and PgBouncer 1.18 (Debian 12's) does not carry one to the
///   next (`max_prepared_statements` came in 1.21).
/// - Settings (the time zone, `statement_timeout`, those set through `setSessionParameter`)
///   are set with `set_config(…, true)` (`SET LOCAL`) by a statement sent just before, in one
///   pipeline that ends with one Sync: both run in one implicit transaction, on one server
///   session, in one round trip. The server arms `statement_timeout` again at the statement's
///   first message, so the local value bounds it; the planner settings apply to its plan;
///   `synchronous_commit` to its commit. Inside an explicit transaction the settings last to
///   its end; setting them again before each statement costs nothing more than bytes.
extension Connection {
    /// What each statement runs with: the session defaults every Berth connection has, then
    /// the connection's own settings.
    var pooledSettings: [(String, String)] {
        var settings: [(String, String)] = [("TimeZone", "UTC"), ("client_min_messages", "warning")]
        if let statementTimeout { settings.append(("statement_timeout", String(Int((statementTimeout * 1000).rounded(.up))))) }
        return settings + sessionSettings
    }

    /// `select set_config($1, $2, true), …` for `count` settings (binds only: the names and
    /// values are parameters).
    static func localSettingsText(count: Int) -> String {
        "select " + (0..<count).map { "set_config($\(2 * $0 + 1), $\(2 * $0 + 2), true)" }.joined(separator: ", ")
    }

    func runPooled(_ sql: SQL, _ params: [any PostgresEncodable]) throws -> Outcome {
        let settings = pooledSettings
        let settingTexts: [String?] = settings.flatMap { [$0.0, $0.1] }
        let texts = params.map { $0.postgresText }
        guard PQenterPipelineMode(handle) == 1 else {
            throw PostgresError(.connection, operation: sql.name, message: "cannot enter pipeline mode: \(Connection.errorMessage(handle))")
        }
        let sent = Connection.withCStrings(settingTexts) { values in
            PQsendQueryParams(handle, Connection.localSettingsText(count: settings.count), Int32(settingTexts.count), nil, values, nil, nil, 0)
        } == 1 && Connection.withCStrings(texts) { values in
            PQsendQueryParams(handle, sql.text, Int32(texts.count), nil, values, nil, nil, 0)
        } == 1 && PQpipelineSync(handle) == 1
        var settingsResult: OpaquePointer?
        var result: OpaquePointer?
        defer {
            settingsResult.map { PQclear($0) }
            result.map { PQclear($0) }
        }
        do {
            guard sent else { throw PostgresError(.connection, operation: sql.name, message: Connection.errorMessage(handle)) }
            let deadline = deadline()
            settingsResult = try collect(operation: sql.name, deadline: deadline)
            result = try collect(operation: sql.name, deadline: deadline)
            try awaitResult(deadline: deadline, operation: sql.name) {}
            let sync = PQgetResult(handle)
            let synced = sync.map { PQresultStatus($0) == PGRES_PIPELINE_SYNC } ?? false
            sync.map { PQclear($0) }
            guard synced, PQexitPipelineMode(handle) == 1 else {
                throw PostgresError(.connection, operation: sql.name, message: "the pipeline did not end as sent: \(Connection.errorMessage(handle))")
            }
        } catch {
            // Whatever is left of the pipeline cannot be read in order any more: start afresh.
            abandon()
            throw error
        }
        // The settings' error first (the statement then reports only that it was skipped).
        if let settingsResult, Connection.isError(settingsResult) { try check(settingsResult, operation: sql.name) }
        guard let result else { throw PostgresError(.connection, operation: sql.name, message: Connection.errorMessage(handle)) }
        return try outcome(of: result, sql, texts)
    }
}
