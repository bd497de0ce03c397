import Foundation
import Postgres
import Queue
import Testing
import TestSupport

/// A NOTIFY is a hint: any role may send one, so a worker reads the truth before acting.
@Suite struct CancelTests {
    @Test func aSpoofedCancelNotificationCancelsNothing() throws {
        let h = try QueueHarness()
        // A login role with no privilege at all (roles are server-wide: a name of its own).
        let role = "berth_spoof_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try Connection(url: try Project.databaseURL())
        try admin.executeScript("create role \(role) login", operation: "create_role")
        defer { try? admin.executeScript("drop role if exists \(role)", operation: "drop_role") }
        var components = URLComponents(string: h.db.url)!
        components.user = role
        let stranger = try Connection(url: components.string!)

        var config = QueueHarness.fastConfig()
        config.heartbeatInterval = 60  // a real cancel must arrive by NOTIFY, not by the heartbeat
        config.lease = 120
        let handler = CountingNoop()
        let pool = try h.startPool(config, handlers: [NoopJob.kind: handler])
        defer { try? pool.stop() }

        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 1500}"#))).first)
        try poll(timeout: 5, "the handler to start") { handler.started == 1 }
        // The stranger can read nothing of the queue, but can notify.
        #expect(throws: PostgresError.self) { try stranger.query(SQL("test_read", "select count(*) from berth.jobs")) }
        for _ in 0..<3 { try stranger.query(SQL("test_spoof", "select pg_notify('berth_job_cancel', $1)"), [String(id)]) }
        let job = try h.waitFor(id, .succeeded, timeout: 10)
        #expect(!job.cancelRequested && job.attempt == 1)

        // A real cancel still stops a running job promptly.
        let long = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 60000}"#))).first)
        try poll(timeout: 5, "the second handler to start") { handler.started == 2 }
        #expect(try h.queue.cancel(id: long) == .running)
        let cancelled = try h.waitFor(long, .cancelled, timeout: 5)
        #expect(cancelled.cancelRequested)
    }
}
