import Foundation
import Logging
import Postgres
import Queue
import Testing
import TestSupport

/// A worker pool whose statements go through a real PgBouncer in transaction mode (claims,
/// completions, heartbeats, rescues, handlers' connections) while its LISTEN and the vacuum's
/// session lock go to PostgreSQL directly (the listen URL).
@Suite struct PgBouncerDrainTests {
    @Test func aDrainThroughPgBouncerRunsEveryJobOnceAndListensDirectly() throws {
        let h = try QueueHarness()
        let bouncer = try PgBouncer(serverURL: h.db.url)
        var config = QueueHarness.fastConfig(concurrency: 4)
        // Pickups must come from NOTIFY on the direct listener: the poll is far away.
        config.pollInterval = 30
        // Several vacuums, each under the session lock on a direct connection.
        config.vacuumEvery = 100
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let handler = CountingNoop()
        let workers = QueueHarness.RunningPool(try WorkerPool(config: config, database: bouncer.database(for: h.db.url),
                                                              handlers: [NoopJob.kind: handler], logger: logger))
        defer { try? workers.stop() }
        // Up: the listener LISTENs on the server itself (its last statement).
        try poll(timeout: 20, "the worker's listener on the server") {
            try h.count("select count(*) as n from pg_stat_activity where datname = current_database() and application_name = 'berth listener' and query ilike 'listen %'") == 1
        }
        let first = try #require(try h.queue.enqueue(.init(kind: NoopJob.kind)).first)
        try h.waitFor(first, .succeeded, timeout: 15)

        let ids = try h.queue.enqueue(.init(kind: NoopJob.kind), count: 400)
        try poll(timeout: 90, "400 jobs to finish through PgBouncer") {
            try h.count("select count(*) as n from berth.jobs where state = 'succeeded'") == 401
        }
        #expect(handler.started == 401, "handlers ran \(handler.started) times for 401 jobs")
        #expect(try h.count("select count(*) as n from berth.jobs where attempt <> 1 or errors <> '[]'::jsonb") == 0)
        #expect(ids.count == 400)

        // The queue's connections are PgBouncer's clients; the listener is not.
        let clients = try bouncer.clientApplicationNames()
        for name in ["berth producer", "berth completer", "berth maintenance", "berth handler"] {
            #expect(clients.contains(name), "\(name) is not a PgBouncer client: \(clients)")
        }
        #expect(!clients.contains("berth listener"), "\(clients)")
        // The vacuum ran, and its session lock is not left behind on a server session.
        try poll(timeout: 20, "a vacuum of berth.jobs") {
            try h.count("select count(*) as n from pg_stat_user_tables where schemaname = 'berth' and relname = 'jobs' and vacuum_count > 0") == 1
        }
        // (One may be vacuuming right now: a lock left on a pooled server session would stay.)
        try poll(timeout: 20, "no advisory lock held") {
            try h.count("select count(*) as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())") == 0
        }
    }
}
