import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ReconnectTests {
    /// A private server restarted for real (the shared one serves the other tests). Every
    /// connection the server closed while it sat idle is found closed before its next statement
    /// and reconnected: that statement succeeds.
    @Test func theFirstStatementAfterARestartSucceeds() throws {
        let server = try PrivateServer()
        let connection = try Connection(url: server.url)
        try connection.setSessionParameter("work_mem", "7MB")
        try connection.listen("after_restart")
        let pool = ConnectionPool(url: server.url, maxConnections: 1)
        let pooledBefore = try pool.withConnection { $0.backendPID }
        let pidBefore = connection.backendPID
        try server.restart()

        let probe = SQL("probe", "select current_setting('work_mem') as work_mem")
        #expect(try connection.queryRow(probe)?.decode("work_mem", as: String.self) == "7MB")
        #expect(connection.backendPID != pidBefore)
        let pooledAfter = try pool.withConnection { try $0.queryRow(SQL("probe_pool", "select pg_backend_pid() as pid"))?.decode("pid", as: Int32.self) }
        #expect(pooledAfter != nil && pooledAfter != pooledBefore)

        // The LISTEN is back.
        let other = try Connection(url: server.url)
        try other.query(SQL("notify", "select pg_notify('after_restart', 'back')"))
        let notes = try poll(timeout: 5, "notification after reconnect", until: { !$0.isEmpty }) {
            try connection.waitForNotifications(timeout: 1).notifications
        }
        #expect(notes.first?.payload == "back")
    }

    /// A connection waiting for notifications when the server restarts reconnects and says so
    /// (notifications in between are lost: the caller looks at the tables instead).
    @Test func aListenerWaitingThroughARestartReconnects() throws {
        let server = try PrivateServer()
        let listener = try Connection(url: server.url)
        try listener.listen("after_restart")
        let waiting = Locked<[Connection.WaitResult]>([])
        let thread = Thread {
            // While the server is down the wait fails; the first one that gets through says so.
            while true {
                guard let result = try? listener.waitForNotifications(timeout: 0.2) else { Thread.sleep(forTimeInterval: 0.05); continue }
                waiting.mutate { $0.append(result) }
                if result.reconnected { return }
            }
        }
        thread.start()
        try server.restart()
        try poll(timeout: 15, "the listener to reconnect") { waiting.value.contains { $0.reconnected } }
        let other = try Connection(url: server.url)
        try other.query(SQL("notify", "select pg_notify('after_restart', 'again')"))
        let notes = try poll(timeout: 5, "notification after reconnect", until: { !$0.isEmpty }) {
            try listener.waitForNotifications(timeout: 1).notifications
        }
        #expect(notes.first?.payload == "again")
    }
}

extension ReconnectTests {
    /// A transaction cut by a restart fails as a whole: nothing of it runs on the new session.
    @Test func aTransactionCutByARestartFailsWhole() throws {
        let server = try PrivateServer()
        let connection = try Connection(url: server.url)
        try connection.executeScript("create table t (v int)", operation: "create")
        #expect(throws: PostgresError.self) {
            try connection.transaction { tx in
                try tx.execute(SQL("insert_1", "insert into t values (1)"))
                try server.restart()
                try tx.execute(SQL("insert_2", "insert into t values (2)"))
            }
        }
        #expect(try connection.query(SQL("count_t", "select count(*) as n from t")).first?.decode("n", as: Int.self) == 0)
    }
}
