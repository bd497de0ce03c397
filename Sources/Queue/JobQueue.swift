import Foundation
import Postgres

/// The queue's operations on one connection. Every state change of a running job is fenced on
/// its lease token. All SQL is in `QueueSQL`.
public struct JobQueue {
    public let connection: Connection

    public init(_ connection: Connection) {
        self.connection = connection
    }

    /// What to enqueue.
    public struct NewJob: Sendable {
        public var kind: String
        public var tenant: String
        public var args: JSONText
        public var priority: Int
        public var runAt: Date?
        public var maxAttempts: Int
        public var uniqueKey: String?

        public init(kind: String, tenant: String = "", args: JSONText = JSONText("{}"), priority: Int = 1,
                    runAt: Date? = nil, maxAttempts: Int = 20, uniqueKey: String? = nil) {
            self.kind = kind
            self.tenant = tenant
            self.args = args
            self.priority = priority
            self.runAt = runAt
            self.maxAttempts = maxAttempts
            self.uniqueKey = uniqueKey
        }

        /// Checks what the table's constraints would refuse, with a message that says what is allowed.
        public func validate(count: Int = 1) throws {
            if kind.isEmpty { throw QueueError.invalid("a job kind must not be empty") }
            if !(0...9).contains(priority) { throw QueueError.invalid("priority must be between 0 (first) and 9 (last), got \(priority)") }
            if maxAttempts < 1 { throw QueueError.invalid("max attempts must be at least 1, got \(maxAttempts)") }
            if count < 1 { throw QueueError.invalid("count must be at least 1, got \(count)") }
            if uniqueKey != nil && count > 1 { throw QueueError.invalid("a unique key allows one job: use count 1") }
        }
    }

    /// Enqueues `count` copies of `job` in one statement (one NOTIFY). With a unique key and an
    /// active job holding it, nothing is inserted and the existing job's id is returned.
    @discardableResult
    public func enqueue(_ job: NewJob, count: Int = 1) throws -> [Int64] {
        try job.validate(count: count)
        let rows = try connection.query(QueueSQL.enqueue, [
            job.kind, job.tenant, job.args, job.priority, job.runAt, job.maxAttempts, job.uniqueKey, count,
        ])
        if !rows.isEmpty { return try rows.map { try $0.decode("id") } }
        guard let key = job.uniqueKey else { return [] }
        // The key is held by an active job; report it (it may have just finished: then retry once).
        if let row = try connection.queryRow(QueueSQL.activeByUniqueKey, [key]) { return [try row.decode("id")] }
        return try enqueue(job, count: count)
    }

    /// Claims up to `limit` ready jobs for `worker`, fairly across tenants (see `QueueSQL.claim`).
    public func claim(worker: String, limit: Int, leaseSeconds: Double) throws -> [Job] {
        var hint = ClaimHint()
        return try claim(worker: worker, limit: limit, leaseSeconds: leaseSeconds, hint: &hint)
    }

    /// What a claimer learned from its last claims: whether one tenant had the queue to itself.
    public struct ClaimHint: Sendable {
        /// Every job of the last claim that got any was this one tenant's.
        var soleTenant: String?
        /// Claims to make the full way before trying the sole-tenant claim again, after it missed.
        var cooldown = 0

        public init() {}

        /// Claims after a miss that go the full way (a cap is set, or tenants come and go).
        static let cooldownClaims = 16
    }

    /// Like `claim(worker:limit:leaseSeconds:)`, for a claimer that claims again and again
    /// (the producer). While one tenant seems to have the queue to itself (the last claim that
    /// got jobs got only its jobs), the claim takes the cheaper `QueueSQL.claimSoleTenant`,
    /// which claims nothing as soon as another tenant has a queued job or a cap is set; then
    /// the full claim runs at once, in a second round trip, and if it finds work the next
    /// claims go the full way.
    public func claim(worker: String, limit: Int, leaseSeconds: Double, hint: inout ClaimHint) throws -> [Job] {
        guard limit > 0 else { return [] }
        try connection.ensureSessionParameters(QueueSQL.session)
        let leaseMs = Int((leaseSeconds * 1000).rounded(.up))
        var jobs: [Job] = []
        let soleTenant = hint.cooldown == 0 ? hint.soleTenant : nil
        if let tenant = soleTenant {
            jobs = try connection.query(QueueSQL.claimSoleTenant, [worker, limit, leaseMs, tenant]).map(Job.init(claimed:))
        }
        if jobs.isEmpty {
            if hint.cooldown > 0 { hint.cooldown -= 1 }
            jobs = try connection.query(QueueSQL.claim, [worker, limit, leaseMs]).map(Job.init(claimed:))
            // The sole-tenant claim missed work the full one found: another tenant, or a cap.
            if soleTenant != nil && !jobs.isEmpty { hint.cooldown = ClaimHint.cooldownClaims }
        }
        if let tenant = jobs.first?.tenant {
            hint.soleTenant = jobs.allSatisfy { $0.tenant == tenant } ? tenant : nil
        }
        for index in jobs.indices { jobs[index].lockedBy = worker }
        // The batch starts at once (never more jobs than free workers), so its order matters
        // little; within a tenant it is the order the jobs would run in.
        return jobs.sorted { ($0.priority, $0.runAt, $0.id) < ($1.priority, $1.runAt, $1.id) }
    }

    /// Vacuums `berth.jobs` (removing the dead index entries claims walk), unless another
    /// session holds the vacuum lock. Returns whether it ran. A role that does not own the
    /// table gets a server warning and nothing happens.
    @discardableResult
    public func vacuum() throws -> Bool {
        guard try connection.queryRow(QueueSQL.tryVacuumLock)?.decode("locked", as: Bool.self) == true else { return false }
        defer { _ = try? connection.query(QueueSQL.vacuumUnlock) }
        try connection.executeScript(QueueSQL.vacuum, operation: "queue_vacuum")
        return true
    }

    /// A job's state after a completion was written.
    public struct Written: Sendable {
        public var id: Int64
        public var state: JobState
        public var runAt: Date

        init(row: Row) throws {
            id = try row.decode("id")
            state = try JobState(stored: try row.decode("state"), operation: QueueSQL.complete.name)
            runAt = try row.decode("run_at")
        }
    }

    /// Writes a batch of completions; those whose lease token no longer matches are skipped
    /// and absent from the result.
    func complete(_ batch: [Completion]) throws -> [Written] {
        guard !batch.isEmpty else { return [] }
        try connection.ensureSessionParameters(QueueSQL.session)
        return try connection.query(QueueSQL.complete, Completion.binds(batch)).map(Written.init(row:))
    }

    /// Public entry for one completion (used by tests to show fencing): true when written.
    public func finish(job: Job, token: UUID, succeeded: Bool, error: String? = nil) throws -> Bool {
        let completion = Completion(job: job, leaseToken: token, state: succeeded ? .succeeded : .failed, error: error)
        return try !complete([completion]).isEmpty
    }

    /// Extends the leases of `jobs` (id, token). Returns, per job still held, whether a cancel
    /// was requested; ids missing from the result lost their lease.
    public func heartbeat(_ jobs: [(id: Int64, token: UUID)], leaseSeconds: Double) throws -> [Int64: Bool] {
        guard !jobs.isEmpty else { return [:] }
        try connection.ensureSessionParameters(QueueSQL.session)
        // In id order, as completions lock them (see `Completion.binds`).
        let jobs = jobs.sorted { $0.id < $1.id }
        let rows = try connection.query(QueueSQL.heartbeat, [jobs.map { $0.id }, jobs.map { $0.token }, Int((leaseSeconds * 1000).rounded(.up))])
        var held: [Int64: Bool] = [:]
        for row in rows { held[try row.decode("id")] = try row.decode("cancel_requested") }
        return held
    }

    /// The ids, among these attempts (id, lease token), whose cancel was requested.
    public func cancelRequested(_ jobs: [(id: Int64, token: UUID)]) throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let rows = try connection.query(QueueSQL.cancelRequested, [jobs.map { $0.id }, jobs.map { $0.token }])
        return Set(try rows.map { try $0.decode("id", as: Int64.self) })
    }

    /// A job the rescuer took back from a dead worker.
    public struct Rescued: Sendable {
        public var id: Int64
        public var kind: String
        public var tenant: String
        public var attempt: Int
        public var state: JobState
    }

    /// Returns up to `limit` jobs with expired leases to the queue (or ends them).
    public func rescue(limit: Int = 1000) throws -> [Rescued] {
        try connection.query(QueueSQL.rescue, [limit]).map { row in
            Rescued(id: try row.decode("id"), kind: try row.decode("kind"), tenant: try row.decode("tenant"),
                    attempt: try row.decode("attempt"), state: try JobState(stored: try row.decode("state"), operation: QueueSQL.rescue.name))
        }
    }

    /// Cancels a job: a queued one ends `cancelled` now; a running one is asked to stop and sees
    /// it at its next checkpoint. Returns the job's state after the call.
    public func cancel(id: Int64) throws -> JobState {
        if let row = try connection.queryRow(QueueSQL.cancel, [id]) {
            return try JobState(stored: try row.decode("state"), operation: QueueSQL.cancel.name)
        }
        guard let job = try get(id: id) else { throw QueueError.notFound(id) }
        throw QueueError.invalid("job \(id) is \(job.state.rawValue): only queued or running jobs can be cancelled")
    }

    /// Puts a finished (or scheduled) job back in the queue to run now, with one more attempt
    /// if it had used them all.
    public func retry(id: Int64) throws {
        do {
            if try connection.queryRow(QueueSQL.retry, [id]) != nil { return }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw QueueError.invalid("job \(id) cannot be retried: another active job holds its unique key")
        }
        guard let job = try get(id: id) else { throw QueueError.notFound(id) }
        throw QueueError.invalid("job \(id) is \(job.state.rawValue): a running job cannot be retried (cancel it first)")
    }

    public func get(id: Int64) throws -> Job? {
        try connection.queryRow(QueueSQL.get, [id]).map(Job.init(row:))
    }

    public func list(state: JobState? = nil, tenant: String? = nil, kind: String? = nil, limit: Int = 50) throws -> [Job] {
        try connection.query(QueueSQL.list, [state?.rawValue, tenant, kind, limit]).map(Job.init(row:))
    }

    /// Whether any tenant cap is set.
    public func capsExist() throws -> Bool {
        try connection.queryRow(QueueSQL.capsExist)?.decode("capped", as: Bool.self) ?? false
    }

    /// Caps the running jobs of `tenant` (`*`: every tenant without a cap of its own); nil removes it.
    public func setTenantLimit(_ tenant: String, maxRunning: Int?) throws {
        if let maxRunning {
            guard maxRunning >= 0 else { throw QueueError.invalid("a tenant cap must be 0 or more, got \(maxRunning)") }
            try connection.execute(QueueSQL.setTenantLimit, [tenant, maxRunning])
        } else {
            try connection.execute(QueueSQL.clearTenantLimit, [tenant])
        }
    }

    /// The figures `berth status` shows.
    public struct Status: Sendable, Codable {
        public var counts: [String: Int]
        public var ready: Int
        public var scheduled: Int
        public var oldestQueuedAgeSeconds: Double?
        public var runningPerTenant: [String: Int]
    }

    public func status() throws -> Status {
        guard let row = try connection.queryRow(QueueSQL.status) else {
            throw PostgresError(.decoding, operation: QueueSQL.status.name, message: "the status statement returned no row")
        }
        var counts: [String: Int] = [:]
        for state in JobState.allCases { counts[state.rawValue] = try row.decode(state.rawValue) }
        let perTenant = (try row.decode("per_tenant", as: JSONText.self).object() as? [String: Int]) ?? [:]
        return Status(counts: counts, ready: try row.decode("ready"), scheduled: try row.decode("scheduled"),
                      oldestQueuedAgeSeconds: try row.decodeIfPresent("age_seconds"), runningPerTenant: perTenant)
    }

    /// NOTIFY channels: new work (enqueue, retry, rescue) and cancel requests (payload: job id).
    static let notifyChannel = "berth_jobs"
    static let cancelChannel = "berth_job_cancel"
}

/// Bad requests to the queue: a message that says what is allowed.
public enum QueueError: Error, CustomStringConvertible {
    case invalid(String)
    case notFound(Int64)

    public var description: String {
        switch self {
        case .invalid(let message): return message
        case .notFound(let id): return "no job with id \(id)"
        }
    }
}
