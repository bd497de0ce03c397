import Foundation
import Postgres
import Testing
import TestSupport

/// Connections through a real PgBouncer (Debian's 1.18) in transaction mode, where each
/// statement's transaction may run on another server session: statements go unnamed, the
/// connection's settings are set LOCAL before each (in the same round trip), nothing is left
/// on a server session for the next client, and LISTEN is refused.
@Suite struct PgBouncerTests {
    static let show = SQL("t_pgb_show", """
        select current_setting('statement_timeout') as timeout, current_setting('work_mem') as work_mem,
               current_setting('TimeZone') as zone, current_setting('application_name') as app
        """)

    @Test func settingsHoldForEveryStatementAndStayWithTheirConnection() throws {
        let server = try Project.databaseURL()
        let bouncer = try PgBouncer(serverURL: server)
        let url = bouncer.url(for: server)
        let timed = try Connection(url: url, applicationName: "berth pgb test", statementTimeout: 0.4, poolMode: .transaction)
        try timed.setSessionParameter("work_mem", "7MB")
        let plain = try Connection(url: url, poolMode: .transaction)
        for _ in 0..<5 {
            // Alternating: the two clients share PgBouncer's server sessions.
            let row = try #require(try timed.queryRow(Self.show))
            #expect(try row.decode("timeout", as: String.self) == "400ms")
            #expect(try row.decode("work_mem", as: String.self) == "7MB")
            #expect(try row.decode("zone", as: String.self) == "UTC")
            #expect(try row.decode("app", as: String.self) == "berth pgb test")
            let other = try #require(try plain.queryRow(Self.show))
            #expect(try other.decode("timeout", as: String.self) == "0", "a setting leaked to another client's statement")
            #expect(try other.decode("work_mem", as: String.self) != "7MB")
        }
        // Inside a transaction, on the one server session PgBouncer gives it.
        let inside = try timed.transaction { try $0.queryRow(Self.show)?.decode("timeout", as: String.self) }
        #expect(inside == "400ms")

        // The server's own statement_timeout ends a long statement (57014), well before the
        // client's deadline (0.4 s + 1 s) would drop the connection.
        let started = Date()
        do {
            try timed.query(SQL("t_pgb_sleep", "select pg_sleep(5)"))
            Issue.record("pg_sleep(5) ran to its end despite a 400 ms statement timeout")
        } catch let error as PostgresError {
            #expect(error.sqlState == "57014", "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 1.4)
        // A server error is the statement's, and the connection goes on.
        #expect(throws: PostgresError.self) { try timed.query(SQL("t_pgb_div", "select 1 / $1::int as n"), [0]) }
        #expect(try timed.queryRow(SQL("t_pgb_bind", "select $1::int + 1 as n"), [41])?.decode("n", as: Int.self) == 42)
    }

    @Test func listenIsRefusedThroughAPoolerInTransactionMode() throws {
        let server = try Project.databaseURL()
        let bouncer = try PgBouncer(serverURL: server)
        let pooled = try bouncer.database(for: server).connect()
        do {
            try pooled.listen("berth_jobs")
            Issue.record("LISTEN through PgBouncer in transaction mode was accepted")
        } catch let error as PostgresError {
            #expect(error.kind == .usage && "\(error)".contains("--listen-database-url"), "\(error)")
        }
        // The listen URL is a session of its own, where LISTEN works.
        let direct = try bouncer.database(for: server).connectDirect()
        try direct.listen("t_pgb_channel")
        try pooled.query(SQL("t_pgb_notify", "select pg_notify('t_pgb_channel', 'through pgbouncer')"))
        let notes = try poll(timeout: 10, "the notification on the direct connection", until: { !$0.isEmpty }) {
            try direct.waitForNotifications(timeout: 1).notifications
        }
        #expect(notes.first?.payload == "through pgbouncer")
    }
}
