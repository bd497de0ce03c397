import Foundation

/// The knobs of one `berth worker` process. Every interval is in seconds and may be as small
/// as a millisecond, so tests can run a whole lifecycle quickly.
public struct WorkerConfig: Sendable {
    /// Worker threads: at most this many jobs run at once in the process.
    public var concurrency = 8
    /// Jobs a process may claim ahead of its busy workers while it has a backlog of short jobs
    /// (the last claim got every job it asked for, and recent jobs ran shorter than a claim's
    /// round trip), so that the next claim's round trip overlaps the jobs running. Such a job
    /// holds its lease (heartbeated) until a worker takes it; other processes cannot take it
    /// meanwhile. nil: twice `concurrency`; 0: claim only for free workers. See docs/queue.md.
    public var prefetch: Int?
    /// `prefetch`, or its default.
    public var prefetchDepth: Int { prefetch ?? 2 * concurrency }
    /// Database connections lent to job handlers (checkpoints); the producer, the completer,
    /// the maintenance thread and a running vacuum have one each on top. One handler connection
    /// is opened with the others before the process claims anything. See docs/queue.md.
    public var handlerConnections = 4
    /// How long a claim holds a job without a heartbeat before the rescuer may take it back.
    public var lease: Double = 30
    /// How often the leases of running jobs are extended (well under `lease`).
    public var heartbeatInterval: Double = 10
    /// How often expired leases are looked for.
    public var rescueInterval: Double = 5
    /// The fallback poll when no NOTIFY arrives (jobs scheduled for later, lost notifications).
    public var pollInterval: Double = 1
    /// On SIGTERM: how long running jobs get to finish before they are released to the queue.
    public var gracePeriod: Double = 30
    /// After this many jobs claimed by this process, it vacuums `berth.jobs` (one process at a time;
    /// 0: never). Every claimed job leaves a dead entry at the front of its tenant's part of
    /// the claim index, which each claim walks until vacuum removes it. See docs/queue.md.
    public var vacuumEvery = 20_000
    /// The server's `statement_timeout` for the claim, completion, heartbeat and rescue
    /// statements (capped at half the lease, see `queueStatementTimeout`); the client gives up
    /// on an answer a second later and reconnects. See docs/queue.md, "Bounded waits".
    public var statementTimeout: Double = 10
    /// The same bound for statements handlers run on the pool's connections.
    public var handlerStatementTimeout: Double = 60
    /// How long finished jobs stay before the maintenance thread prunes them (docs/queue.md,
    /// "Retention"); `JobRetention.keepForever` turns it off.
    public var retention = JobRetention()
    /// Seconds of each maintenance round that pruning may take (a batch is one statement).
    public var retentionBudget: Double = 0.2
    /// Retry schedule for failed attempts.
    public var backoff = Backoff()
    /// Shown in `locked_by`: which process holds a job.
    public var workerName: String = WorkerConfig.defaultName()

    public init() {}

    public func validate() throws {
        func positive(_ value: Double, _ name: String) throws {
            guard value > 0, value.isFinite else { throw QueueError.invalid("\(name) must be a positive number of seconds, got \(value)") }
        }
        guard (1...1024).contains(concurrency) else { throw QueueError.invalid("concurrency must be between 1 and 1024, got \(concurrency)") }
        guard (1...256).contains(handlerConnections) else { throw QueueError.invalid("handler connections must be between 1 and 256, got \(handlerConnections)") }
        guard (0...4096).contains(prefetchDepth) else { throw QueueError.invalid("prefetch must be between 0 and 4096 jobs, got \(prefetchDepth)") }
        guard vacuumEvery >= 0 else { throw QueueError.invalid("vacuum-every must be 0 (never) or a number of claimed jobs, got \(vacuumEvery)") }
        try positive(lease, "lease")
        try positive(heartbeatInterval, "heartbeat interval")
        try positive(rescueInterval, "rescue interval")
        try positive(pollInterval, "poll interval")
        try positive(statementTimeout, "statement timeout")
        try positive(handlerStatementTimeout, "handler statement timeout")
        try retention.validate()
        guard retentionBudget >= 0, retentionBudget.isFinite else {
            throw QueueError.invalid("retention budget must be 0 or more seconds, got \(retentionBudget)")
        }
        guard gracePeriod >= 0 else { throw QueueError.invalid("grace period must be 0 or more seconds, got \(gracePeriod)") }
        guard heartbeatInterval < lease else {
            throw QueueError.invalid("heartbeat interval (\(heartbeatInterval)s) must be shorter than the lease (\(lease)s)")
        }
    }

    /// Connections this process opens at most: producer, completer, maintenance, vacuum
    /// (while one runs), handler pool.
    public var maxConnections: Int { 4 + handlerConnections }

    /// The statement timeout the queue's own statements run with: a heartbeat that hangs must
    /// give up while the lease still has time for another.
    public var queueStatementTimeout: Double { min(statementTimeout, lease / 2) }

    static func defaultName() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"
    }
}
