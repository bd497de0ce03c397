import Foundation
import Logging
import Postgres
import Queue

/// A test database with the queue on it, and helpers to run worker pools in-process.
public final class QueueHarness: @unchecked Sendable {
    public let db: TestDatabase
    public let connection: Connection
    public var queue: JobQueue { JobQueue(connection) }

    public init() throws {
        db = try TestDatabase.create()
        connection = try db.connect()
    }

    /// Fast timings so a whole lifecycle takes milliseconds.
    public static func fastConfig(concurrency: Int = 4) -> WorkerConfig {
        var config = WorkerConfig()
        config.concurrency = concurrency
        config.handlerConnections = 1
        config.lease = 2
        config.heartbeatInterval = 0.1
        config.rescueInterval = 0.1
        config.pollInterval = 0.05
        config.gracePeriod = 5
        config.backoff = Backoff(base: 0.01, cap: 0.05)
        return config
    }

    /// Runs a pool on its own thread; `stop()` drains it and waits until `run()` returned.
    public final class RunningPool: @unchecked Sendable {
        public let pool: WorkerPool
        private let done = DispatchSemaphore(value: 0)

        public init(_ pool: WorkerPool) {
            self.pool = pool
            Thread { pool.run(); self.done.signal() }.start()
        }

        public func stop(immediate: Bool = false, timeout: Double = 30) throws {
            pool.requestStop(immediate: immediate)
            guard done.wait(timeout: .now() + timeout) == .success else { throw SetupError("pool did not stop in \(timeout)s") }
        }
    }

    /// `configure` sets what is set before `run()` (an observer, retention walks).
    public func startPool(_ config: WorkerConfig = QueueHarness.fastConfig(), handlers: [String: any JobHandler] = [NoopJob.kind: NoopJob()],
                          configure: (WorkerPool) -> Void = { _ in }) throws -> RunningPool {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let pool = try WorkerPool(config: config, databaseURL: db.url, handlers: handlers, logger: logger)
        configure(pool)
        return RunningPool(pool)
    }

    public func job(_ id: Int64) throws -> Job {
        guard let job = try queue.get(id: id) else { throw SetupError("job \(id) is missing") }
        return job
    }

    /// Polls until job `id` is in `state`.
    @discardableResult
    public func waitFor(_ id: Int64, _ state: JobState, timeout: Double = 15) throws -> Job {
        try poll(timeout: timeout, "job \(id) to be \(state.rawValue)", until: { $0.state == state }) { try job(id) }
    }

    public func count(_ sql: String, _ params: [any PostgresEncodable] = []) throws -> Int {
        try connection.queryRow(SQL("test_count_\(abs(sql.hashValue))", sql), params)?.decode("n", as: Int.self) ?? 0
    }

    public func errors(of id: Int64) throws -> [[String: Any]] {
        (try job(id).errors?.object() as? [[String: Any]]) ?? []
    }
}
