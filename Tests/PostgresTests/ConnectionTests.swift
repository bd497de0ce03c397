import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ConnectionTests {
    @Test func decodesTypedValues() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        let row = try #require(try connection.queryRow(SQL("typed", """
            select 'héllo'::text as t, 42::int as i, 9000000000::bigint as b, true as yes, false as no,
                   '6f1c2a4e-1b7b-4d7e-9f3b-2a1c0e9d8b7a'::uuid as u,
                   '2026-11-29 06:26:09.123456+00'::timestamptz as ts,
                   '{"a": [1, 2, {"b": null}]}'::jsonb as j,
                   array['x', 'y z', 'q"uote', null]::text[] as arr_null,
                   array['x', 'y z', 'q"uote', 'back\\slash', '']::text[] as arr,
                   array[1, 2, 3]::bigint[] as ints,
                   null::text as missing, 2.5::float8 as f
            """)))
        #expect(try row.decode("t", as: String.self) == "héllo")
        #expect(try row.decode("i", as: Int.self) == 42)
        #expect(try row.decode("b", as: Int64.self) == 9_000_000_000)
        #expect(try row.decode("yes", as: Bool.self) == true)
        #expect(try row.decode("no", as: Bool.self) == false)
        #expect(try row.decode("u", as: UUID.self) == UUID(uuidString: "6F1C2A4E-1B7B-4D7E-9F3B-2A1C0E9D8B7A"))
        let ts = try row.decode("ts", as: Date.self)
        #expect(abs(ts.timeIntervalSince1970 - 1_795_933_569.123456) < 0.000001)
        let json = try row.decode("j", as: JSONText.self).object() as? [String: Any]
        #expect((json?["a"] as? [Any])?.count == 3)
        #expect(try row.decode("arr", as: [String].self) == ["x", "y z", "q\"uote", "back\\slash", ""])
        #expect(try row.decode("ints", as: [Int64].self) == [1, 2, 3])
        #expect(try row.decodeIfPresent("missing", as: String.self) == nil)
        #expect(try row.decode("f", as: Double.self) == 2.5)
        #expect(throws: PostgresError.self) { try row.decode("missing", as: String.self) }
        #expect(throws: PostgresError.self) { try row.decode("arr_null", as: [String].self) }
        #expect(throws: PostgresError.self) { try row.decode("nope", as: String.self) }
        #expect(throws: PostgresError.self) { try row.decode("t", as: Int.self) }
    }

    @Test func bindsParametersWithoutInterpolation() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        let hostile = "'); drop table berth.jobs; --"
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        let id = UUID()
        let row = try #require(try connection.queryRow(
            SQL("binds", "select $1::text as t, $2::timestamptz as d, $3::uuid as u, $4::text[] as a, $5::int as n, $6::jsonb as j, $7::bool as b"),
            [hostile, date, id, ["a,b", "{c}", "d\"e", "f\\g"], Int?.none, JSONText(#"{"k": "v"}"#), true]))
        #expect(try row.decode("t", as: String.self) == hostile)
        #expect(try row.decode("d", as: Date.self) == date)
        #expect(try row.decode("u", as: UUID.self) == id)
        #expect(try row.decode("a", as: [String].self) == ["a,b", "{c}", "d\"e", "f\\g"])
        #expect(try row.decodeIfPresent("n", as: Int.self) == nil)
        #expect(try row.decode("b", as: Bool.self))
        #expect(try connection.queryRow(SQL("jobs_exist", "select to_regclass('berth.jobs') is not null as ok"))?.decode("ok", as: Bool.self) == true)
    }

    @Test func errorsCarrySQLStateAndOperation() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        let error = try #require(throws: PostgresError.self) {
            try connection.query(SQL("divide", "select 1 / $1::int"), [0])
        }
        #expect(error.sqlState == "22012")
        #expect(error.operation == "divide")
        #expect(error.kind == .server)
        #expect(error.description.contains("division by zero"))
        // The connection is still usable after an error.
        #expect(try connection.queryRow(SQL("one", "select 1 as x"))?.decode("x", as: Int.self) == 1)
        // A bound secret never shows up in the error.
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        let leak = try #require(throws: PostgresError.self) {
            try connection.query(SQL("bad_cast", "select $1::int"), [secret])
        }
        #expect(leak.sqlState == "22P02")
        #expect(!leak.description.contains("bPxRfiCY"))
    }

    @Test func transactionsCommitAndRollBack() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        try connection.executeScript("create table t (v int)", operation: "setup")
        let insert = SQL("insert_t", "insert into t values ($1)")
        try connection.transaction { tx in try tx.execute(insert, [1]) }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction { tx in
                try tx.execute(insert, [2])
                throw Boom()
            }
        }
        let values = try connection.query(SQL("select_t", "select v from t order by v")).map { try $0.decode("v", as: Int.self) }
        #expect(values == [1])
        #expect(try connection.execute(SQL("update_t", "update t set v = v + 1")) == 1)
    }

    @Test func listenWaitsWithTimeoutAndWakesOnNotify() throws {
        let db = try TestDatabase.create()
        let listener = try db.connect()
        let sender = try db.connect()
        try listener.listen("berth_test")
        let started = Date()
        let quiet = try listener.waitForNotifications(timeout: 0.05)
        #expect(quiet.notifications.isEmpty && !quiet.woken)
        #expect(Date().timeIntervalSince(started) >= 0.04)

        try sender.query(SQL("notify", "select pg_notify('berth_test', $1)"), ["hello"])
        let result = try poll(timeout: 5, "a notification", until: { !$0.isEmpty }) {
            try listener.waitForNotifications(timeout: 1).notifications
        }
        #expect(result.first?.channel == "berth_test")
        #expect(result.first?.payload == "hello")
        #expect(result.first?.senderPID == sender.backendPID)
    }

    @Test func poolIsBoundedAndReusesConnections() throws {
        let db = try TestDatabase.create()
        let pool = ConnectionPool(url: db.url, maxConnections: 2, checkoutTimeout: 0.2)
        let pids = try (0..<5).map { _ in try pool.withConnection { $0.backendPID } }
        #expect(Set(pids).count == 1)
        // Hold both connections: a third checkout times out with a clear error.
        let error = try pool.withConnection { _ in
            try pool.withConnection { _ in
                try #require(throws: PostgresError.self) { try pool.withConnection { _ in 0 } }
            }
        }
        #expect(error.description.contains("pool of 2"))
        #expect(pool.openConnections == 2)
    }
}
