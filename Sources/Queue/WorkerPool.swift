import Foundation
import Logging
import Postgres

/// One `berth worker` process: River's split into a producer (claims batches for free slots,
/// wakes on NOTIFY), worker threads (run handlers, may block), a completer (writes outcomes in
/// batches) and a maintenance thread (heartbeats, rescue). Every part that blocks on libpq
/// has its own thread and its own connection; handlers borrow from a bounded pool.
public final class WorkerPool: @unchecked Sendable {
    public let config: WorkerConfig
    let handlers: [String: any JobHandler]
    let logger: Logger
    /// Where the process's connections go (statements, and LISTEN with the vacuum's lock).
    public let database: Database
    let handlerPool: ConnectionPool

    let channel = JobChannel()
    let producerWake = WakePipe()
    /// The completer and the maintenance thread, which `drain()` waits for.
    let helpersFinished = DispatchGroup()
    /// The maintenance thread sleeps on this rather than on `state`, which is signalled for
    /// every job: it only needs waking to stop.
    let maintenanceWake = NSCondition()

    /// Guards the variables from here to `init`. The completer waits on it for outcomes to
    /// write, and `drain()` for busy slots to free.
    let state = NSCondition()
    /// Where the process is in its life (see `WorkerLifecycle`).
    var lifecycle = WorkerLifecycle.running
    /// Claims have stopped: a stop was requested.
    var stopping: Bool { lifecycle != .running }
    /// Jobs claimed whose outcome is not yet written (their leases are kept alive).
    var running: [Int64: JobContext] = [:]
    /// Jobs handed to worker threads and not yet finished by them.
    var busy = 0
    /// A worker that finishes a job wakes the producer only when `busy` has dropped to this:
    /// any (`Int.max`); 0 while the producer lets freed slots gather; `concurrency` while jobs
    /// claimed ahead wait for a worker (see `producerLoop`).
    var wakeProducerAtBusy = Int.max
    /// How long this process's recent jobs ran (seconds, a moving average; infinite until one
    /// finished): jobs are claimed ahead only while they are shorter than a claim's round trip.
    var jobSeconds = Double.infinity
    /// Jobs this process claimed since it last vacuumed `berth.jobs` (see `vacuumEvery`).
    var claimedSinceVacuum = 0
    var vacuumRunning = false
    /// Whether a vacuum of `berth.jobs` is due and none runs (read with `state` held).
    var vacuumWanted: Bool {
        config.vacuumEvery > 0 && claimedSinceVacuum >= config.vacuumEvery && !vacuumRunning
    }
    var pendingCompletions: [Completion] = []
    /// The completer waits with nothing to write (a new outcome must wake it).
    var completerIdle = false
    /// The last outcome write failed: claim nothing until one succeeds.
    var outcomesBlocked = false
    /// The last heartbeat or rescue failed: claim nothing until one succeeds.
    var maintenanceFailing = false
    /// Jobs a `berth_job_cancel` notification named: the maintenance thread reads whether a
    /// cancel was really requested (a NOTIFY is only a hint; anyone may send one).
    var cancelChecks: Set<Int64> = []
    /// Something other than a freed slot wants the producer to claim (work was rescued, writing
    /// outcomes recovered).
    var claimRequested = false
    /// Whether `berth.queue_tenant_limits` had a row at the maintenance thread's last look
    /// (true until it looked).
    var capsExist = true
    /// The earliest `run_at` of a job this process sent back to the queue: the producer looks
    /// again then rather than waiting for the next poll.
    var nextDue: Date?
    /// Told about claims, attempts, rescues and producer rounds (metrics); set before `run()`.
    public var observer: (any QueueObserver)?
    /// Tables of other modules that the maintenance thread prunes after `berth.jobs`
    /// (provisioning's events); set before `run()`.
    public var retentionWalks: [RetentionWalk] = []

    public convenience init(config: WorkerConfig, databaseURL: String, handlers: [String: any JobHandler], logger: Logger) throws {
        try self.init(config: config, database: Database(url: databaseURL), handlers: handlers, logger: logger)
    }

    public init(config: WorkerConfig, database: Database, handlers: [String: any JobHandler], logger: Logger) throws {
        try config.validate()
        self.config = config
        self.handlers = handlers
        self.logger = logger
        self.database = database
        self.handlerPool = ConnectionPool(maxConnections: config.handlerConnections) {
            let connection = try database.connect(applicationName: "berth handler", statementTimeout: config.handlerStatementTimeout)
            connection.logReconnects(logger)
            return connection
        }
    }

    /// Connections this process opens at most (`WorkerConfig.maxConnections`), and the
    /// producer's listener when it does not LISTEN on its own connection. See docs/deployment.md.
    public var maxConnections: Int { config.maxConnections + (database.statementsCanListen ? 0 : 1) }

    /// Runs until `requestStop()`, then drains gracefully and returns.
    public func run() {
        logger.info("worker started", metadata: [
            "worker": "\(config.workerName)", "concurrency": "\(config.concurrency)",
            "max_connections": "\(maxConnections)", "pool_mode": "\(database.poolMode.rawValue)", "kinds": "\(handlers.keys.sorted().joined(separator: ","))",
        ])
        guard let connections = acquireConnections() else {
            handlerPool.close()
            logger.info("worker stopped", metadata: ["worker": "\(config.workerName)"])
            return
        }
        for index in 0..<config.concurrency { spawnThread("berth-worker-\(index)") { self.workerLoop() } }
        spawnHelper("berth-completer") { self.completerLoop(connections.completer) }
        spawnHelper("berth-maintenance") { self.maintenanceLoop(connections.maintenance) }
        let producerDone = DispatchSemaphore(value: 0)
        spawnThread("berth-producer") {
            self.producerLoop(connections.producer, listener: connections.listener)
            producerDone.signal()
        }
        producerDone.wait()
        drain()
        logger.info("worker stopped", metadata: ["worker": "\(config.workerName)"])
    }

    /// Stops claiming and starts the graceful drain. Safe from any thread, more than once;
    /// `immediate` cuts the grace period short (a second SIGTERM).
    public func requestStop(immediate: Bool = false) {
        state.lock()
        let first = lifecycle == .running
        advanceLocked(to: immediate ? .releasing : .draining)
        state.broadcast()
        state.unlock()
        producerWake.wake()
        if first { logger.info("worker stopping: no new claims", metadata: ["grace_seconds": "\(config.gracePeriod)"]) }
    }

    /// Moves the lifecycle forward to `next` (never back). The caller holds `state`.
    func advanceLocked(to next: WorkerLifecycle) {
        lifecycle = max(lifecycle, next)
    }

    /// The process is finishing: the completer and the maintenance thread stop.
    func isFinishing() -> Bool {
        state.lock(); defer { state.unlock() }
        return lifecycle == .finishing
    }

    /// Wakes the producer to claim.
    func requestClaim() {
        state.lock()
        claimRequested = true
        state.unlock()
        producerWake.wake()
    }

    /// Jobs currently claimed by this process (for tests and status).
    public var runningJobIDs: [Int64] {
        state.lock(); defer { state.unlock() }
        return Array(running.keys)
    }

    /// A thread `drain()` waits for (the completer, the maintenance thread).
    func spawnHelper(_ name: String, _ body: @escaping @Sendable () -> Void) {
        helpersFinished.enter()
        spawnThread(name) {
            body()
            self.helpersFinished.leave()
        }
    }

    func spawnThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// How long a loop waits after its n-th failure in a row talking to the database.
    static let reconnectBackoff = Backoff(base: 0.1, cap: 5)

    func logStateChange(_ message: Logger.Message, job: Job, state: JobState, extra: Logger.Metadata = [:]) {
        // Two of these per job: at warning level (benchmarks, busy fleets) skip building the metadata.
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "job": "\(job.id)", "kind": "\(job.kind)", "tenant": "\(job.tenant)", "attempt": "\(job.attempt)",
            "state": "\(state.rawValue)",
        ]
        metadata.merge(extra) { $1 }
        logger.info(message, metadata: metadata)
    }
}
