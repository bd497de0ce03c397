import Foundation
import Postgres
import Testing
import TestSupport

/// Every wait on the server is bounded (docs/queue.md, "Bounded waits").
@Suite struct BoundedWaitTests {
    @Test func connectionsGetTimeoutsAndKeepalivesUnlessTheURLSetsThem() throws {
        let db = try TestDatabase.create()
        let plain = try Connection(url: db.url)
        for (keyword, value) in Connection.defaultParameters { #expect(plain.parameter(keyword) == value, "\(keyword)") }
        let own = try Connection(url: db.url + "?connect_timeout=3&keepalives_idle=7&tcp_user_timeout=1234")
        #expect(own.parameter("connect_timeout") == "3")
        #expect(own.parameter("keepalives_idle") == "7")
        #expect(own.parameter("tcp_user_timeout") == "1234")
        #expect(own.parameter("keepalives_count") == "3")
    }

    @Test func theStatementTimeoutIsTheServersToo() throws {
        let db = try TestDatabase.create()
        let connection = try Connection(url: db.url, statementTimeout: 0.25)
        let setting = try connection.queryRow(SQL("show_timeout", "select current_setting('statement_timeout') as t"))
        #expect(try setting?.decode("t", as: String.self) == "250ms")
        let error = #expect(throws: PostgresError.self) { try connection.query(SQL("sleep", "select pg_sleep(5)")) }
        #expect(error?.sqlState == "57014")  // query_canceled, by the server
    }

    /// A link that swallows packets (the peer's kernel still acknowledges them): the server's
    /// own timeout cannot help, the client's deadline does, and the next statement reconnects.
    @Test func aStatementOverABlackholedLinkGivesUpAtItsDeadline() throws {
        let db = try TestDatabase.create()
        let proxy = try BlackholeProxy(targetPort: URLComponents(string: db.url)!.port!)
        defer { proxy.stop() }
        let connection = try Connection(url: proxy.url(for: db.url), statementTimeout: 0.5)
        #expect(try connection.queryRow(SQL("one", "select 1 as one"))?.decode("one", as: Int.self) == 1)
        proxy.blackhole()
        let started = Date()
        let error = #expect(throws: PostgresError.self) { try connection.query(SQL("one", "select 1 as one")) }
        let waited = Date().timeIntervalSince(started)
        #expect(error?.isConnectionError == true)
        #expect(error?.message.contains("no answer from the server") == true, "\(String(describing: error))")
        #expect(waited >= 1.4 && waited < 5, "gave up after \(waited)s (deadline 1.5s)")
        #expect(!connection.isConnected)
        proxy.resume()
        #expect(try connection.queryRow(SQL("one", "select 1 as one"))?.decode("one", as: Int.self) == 1)
    }

    /// Connecting through a link that swallows everything ends at the default connect timeout.
    @Test func connectingOverABlackholedLinkEndsAtTheConnectTimeout() throws {
        let db = try TestDatabase.create()
        let proxy = try BlackholeProxy(targetPort: URLComponents(string: db.url)!.port!)
        defer { proxy.stop() }
        proxy.blackhole()
        let started = Date()
        let error = #expect(throws: PostgresError.self) { try Connection(url: proxy.url(for: db.url)) }
        let waited = Date().timeIntervalSince(started)
        #expect(error?.kind == .connection)
        #expect(waited >= 9 && waited < 15, "gave up after \(waited)s (connect_timeout 10)")
    }
}
