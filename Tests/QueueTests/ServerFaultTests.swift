import Foundation
import Logging
import Postgres
import Queue
import Testing
import TestSupport

/// The queue when PostgreSQL crashes, restarts or runs out of connections. Each test has a
/// server of its own (the suite's shared one serves the other tests in parallel).
@Suite struct ServerFaultTests {
    private func pool(_ url: String, _ config: WorkerConfig, handlers: [String: any JobHandler]) throws -> QueueHarness.RunningPool {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return QueueHarness.RunningPool(try WorkerPool(config: config, databaseURL: url, handlers: handlers, logger: logger))
    }

    private func job(_ connection: Connection, _ id: Int64) throws -> Job {
        guard let job = try JobQueue(connection).get(id: id) else { throw SetupError("job \(id) is missing") }
        return job
    }

    /// A claim is on disk before its handler starts. The server is SIGKILLed just after eight
    /// handlers started, with the WAL writer set to write at most every 10 s and nothing else
    /// flushing (heartbeats far apart, no autovacuum): a claim committed without waiting for the
    /// flush is lost, and its job is claimed and started a second time after the restart.
    @Test func aServerCrashNeverStartsAClaimedJobTwice() throws {
        let server = try PrivateServer(settings: ["wal_writer_delay=10s", "wal_writer_flush_after=1GB", "autovacuum=off"])
        var config = QueueHarness.fastConfig(concurrency: 8)
        config.lease = 12
        config.heartbeatInterval = 4
        config.rescueInterval = 0.2
        let handler = CountingNoop()
        let workers = try pool(server.url, config, handlers: [NoopJob.kind: handler])
        defer { try? workers.stop(immediate: true) }
        let ids = try JobQueue(try Connection(url: server.url)).enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 2500}"#)), count: 8)
        try poll(timeout: 10, every: 0.002, "eight handlers started") { handler.started == 8 }
        try server.crash()

        let connection = try Connection(url: server.url)
        try poll(timeout: 30, "all eight jobs to finish") {
            try ids.allSatisfy { try job(connection, $0).state == .succeeded }
        }
        #expect(handler.started == 8, "handlers started \(handler.started) times for 8 jobs")
        for id in ids {
            let job = try job(connection, id)
            #expect(job.attempt == 1 && (job.errors?.text ?? "[]") == "[]", "job \(id): attempt \(job.attempt), errors \(job.errors?.text ?? "-")")
        }
    }

    /// A handler's pooled connection, closed by a server restart while idle, is reconnected
    /// before the handler's statement: the job does not lose an attempt.
    @Test func aServerRestartCostsNoAttempt() throws {
        let server = try PrivateServer()
        let workers = try pool(server.url, QueueHarness.fastConfig(concurrency: 2), handlers: ["db": DatabaseJob()])
        defer { try? workers.stop() }
        let before = try Connection(url: server.url)
        let first = try #require(try JobQueue(before).enqueue(.init(kind: "db")).first)
        try poll(timeout: 10, "the first job") { try job(before, first).state == .succeeded }
        try server.restart()

        let connection = try Connection(url: server.url)
        let second = try #require(try JobQueue(connection).enqueue(.init(kind: "db")).first)
        let done = try poll(timeout: 15, "the job after the restart to finish", until: { $0.state.isFinal }) { try job(connection, second) }
        #expect(done.state == .succeeded && done.attempt == 1, "\(done.state.rawValue), attempt \(done.attempt): \(done.lastError ?? "-")")
    }

    /// The process cannot write outcomes (its completer's connection was closed and the server
    /// has no connection left): it claims nothing more, and once an outcome has waited a lease
    /// it stops extending that job's lease, so the job is rescued rather than held. When
    /// connections free up, the stale outcome is fenced out and the job runs again.
    @Test func aProcessThatCannotWriteOutcomesStopsClaimingAndLetsTheirLeasesLapse() throws {
        let server = try PrivateServer(settings: ["max_connections=12"])
        let admin = try Connection(url: server.url)
        var config = QueueHarness.fastConfig(concurrency: 2)
        config.lease = 1.5
        let workers = try pool(server.url, config, handlers: [NoopJob.kind: NoopJob()])
        defer { try? workers.stop(immediate: true) }
        let queue = JobQueue(admin)
        let warmUp = try #require(try queue.enqueue(.init(kind: "noop")).first)
        try poll(timeout: 10, "a first job") { try job(admin, warmUp).state == .succeeded }
        let sessions = SQL("test_sessions", "select count(*) as n from pg_stat_activity where application_name = $1")
        try poll(timeout: 10, "the worker's connections") {
            try admin.queryRow(sessions, ["berth completer"])?.decode("n", as: Int.self) == 1
        }
        // Every free slot taken; then the completer's connection closed, and its slot taken too.
        var held: [Connection] = []
        func takeEveryFreeSlot() { while let c = try? Connection(url: server.url) { held.append(c) } }
        takeEveryFreeSlot()
        try admin.execute(SQL("test_terminate", "select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1"), ["berth completer"])
        try poll(timeout: 10, "the completer's session to end") { try admin.queryRow(sessions, ["berth completer"])?.decode("n", as: Int.self) == 0 }
        try poll(timeout: 10, "the freed slot taken") { takeEveryFreeSlot(); return try admin.queryRow(SQL("test_all", "select count(*) as n from pg_stat_activity where backend_type = 'client backend'"))?.decode("n", as: Int.self) == 12 }

        let first = try #require(try queue.enqueue(.init(kind: "noop")).first)
        let rescued = try poll(timeout: 15, "the unwritable job to be rescued", until: { ($0.errors?.text ?? "").contains("lease expired") }) { try job(admin, first) }
        #expect(rescued.attempt == 1)
        // Nothing is claimed while outcomes cannot be written.
        let second = try #require(try queue.enqueue(.init(kind: "noop")).first)
        try poll(timeout: 5, "the rescued job back in the queue") { try job(admin, first).state == .queued }
        #expect(try job(admin, second).state == .queued)
        #expect(try job(admin, first).state == .queued)

        held.removeAll()
        try poll(timeout: 20, "both jobs to finish once connections are free") {
            try job(admin, first).state == .succeeded && job(admin, second).state == .succeeded
        }
        #expect(try job(admin, first).attempt == 2)
        #expect(try job(admin, second).attempt == 1)
    }

    /// More worker processes than the server has connections for: each holds every connection
    /// it needs before it claims anything (or holds none and waits), so every job finishes.
    /// (Processes that claim first and connect their completer later end up holding jobs they
    /// cannot finish, renewing their leases forever.)
    @Test func manyProcessesAgainstTooFewConnectionsFinishEveryJob() throws {
        let server = try PrivateServer(settings: ["max_connections=14"])
        let admin = try Connection(url: server.url)
        let workers = try (0..<6).map { _ in
            try ChildProcess(arguments: ["worker", "--concurrency", "2", "--handler-connections", "1", "--vacuum-every", "0",
                                         "--lease", "2s", "--heartbeat", "200ms", "--rescue-interval", "200ms", "--poll-interval", "100ms"],
                             environment: ["DATABASE_URL": server.url, "BERTH_LOG_LEVEL": "warning"])
        }
        defer { for worker in workers { worker.signal(SIGKILL) } }
        // Every slot but one taken by the workers before the jobs arrive.
        let sessions = SQL("test_sessions", "select count(*) as n from pg_stat_activity where application_name like 'berth %'")
        try poll(timeout: 20, "the workers to take the server's connections") { try admin.queryRow(sessions)?.decode("n", as: Int.self) ?? 0 >= 12 }
        let ids = try JobQueue(admin).enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 20}"#)), count: 300)
        let left = SQL("test_left", "select count(*) as n from berth.jobs where id = any($1) and state <> 'succeeded'")
        try poll(timeout: 60, "all 300 jobs to finish") { try admin.queryRow(left, [ids])?.decode("n", as: Int.self) == 0 }
    }
}

/// A handler that runs a statement on the process's pooled connection.
private struct DatabaseJob: JobHandler {
    func run(_ context: JobContext) throws -> JobResult {
        try context.withConnection { try $0.query(SQL("test_db_job", "select 1 as one")) }
        return .succeeded()
    }
}
