import Foundation
import Logging
import Postgres

/// What a running attempt knows and can do: its job, a logger, the process's connection pool,
/// and whether it has been asked to stop.
public final class JobContext: @unchecked Sendable {
    public let job: Job
    /// The process's logger with the job's id, kind, tenant and attempt. Built on use: most
    /// attempts never log, and building it for each one cost more than a no-op job's run.
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "job"] = "\(job.id)"
        logger[metadataKey: "kind"] = "\(job.kind)"
        logger[metadataKey: "tenant"] = "\(job.tenant)"
        logger[metadataKey: "attempt"] = "\(job.attempt)"
        return logger
    }
    private let baseLogger: Logger
    public let pool: ConnectionPool
    public let leaseToken: UUID
    private let condition = NSCondition()
    private var stopReason: JobInterrupted.Reason?
    private var finished = false
    /// When (monotonic) its outcome was handed over to be written; nil until then. Guarded by
    /// the worker pool's `state` lock. A job whose outcome waited longer than a lease is no
    /// longer heartbeated (another process rescues it).
    var outcomeSubmittedAt: Double?
    /// Until when (monotonic seconds) the job's lease surely holds: the local time its claim or
    /// its last successful heartbeat was sent, plus the lease. The server stamped the lease
    /// later than that, so past this moment another worker may own the job, whatever this
    /// process's heartbeat thread knows (it may be stuck, or the process was frozen).
    private var leaseHeldUntil: Double

    init(job: Job, logger: Logger, pool: ConnectionPool, leaseHeldUntil: Double) {
        self.job = job
        self.leaseToken = job.leaseToken!
        self.baseLogger = logger
        self.pool = pool
        self.leaseHeldUntil = leaseHeldUntil
    }

    /// Throws `JobInterrupted` when the attempt must stop: call it between steps.
    public func checkpoint() throws {
        if let reason = interruption { throw JobInterrupted(reason: reason) }
    }

    /// Why the attempt must stop, if it must: cancelled, shutting down, or the lease lost (taken
    /// back, or more than a lease since the last successful heartbeat).
    public var interruption: JobInterrupted.Reason? {
        condition.lock(); defer { condition.unlock() }
        return stopReasonLocked(now: Monotonic.now())
    }

    private func stopReasonLocked(now: Double) -> JobInterrupted.Reason? {
        if now > leaseHeldUntil && stopReason != .shutdown { stopReason = .leaseLost }
        return stopReason
    }

    /// Waits up to `seconds`, returning early when the attempt is interrupted (including when
    /// the lease runs out). Only for jobs that genuinely wait on local work (the `noop` kind);
    /// waiting for AWS is a snooze.
    public func pause(seconds: Double) throws {
        let end = Monotonic.now() + seconds
        condition.lock()
        var reason: JobInterrupted.Reason?
        while true {
            let now = Monotonic.now()
            reason = stopReasonLocked(now: now)
            if reason != nil || now >= end { break }
            _ = condition.wait(until: Date().addingTimeInterval(min(end, leaseHeldUntil) - now))
        }
        condition.unlock()
        if let reason { throw JobInterrupted(reason: reason) }
    }

    /// A heartbeat sent at `sentAt` (monotonic) extended the lease.
    func leaseRenewed(sentAt: Double, lease: Double) {
        condition.lock()
        leaseHeldUntil = max(leaseHeldUntil, sentAt + lease)
        condition.unlock()
    }

    /// Runs `body` with a connection from the process's bounded pool.
    public func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        try pool.withConnection(body)
    }

    func interrupt(_ reason: JobInterrupted.Reason) {
        condition.lock()
        // A lost lease or shutdown outranks a cancel: nothing may be written for this attempt.
        if stopReason == nil || reason != .cancelled { stopReason = reason }
        condition.broadcast()
        condition.unlock()
    }

    /// Marks the attempt as finished; false when it was finished already (e.g. released at
    /// shutdown), in which case the caller must not report an outcome.
    func markFinished() -> Bool {
        condition.lock(); defer { condition.unlock() }
        if finished { return false }
        finished = true
        return true
    }
}
