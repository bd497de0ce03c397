import Foundation
import Postgres

extension WorkerPool {
    /// Claims jobs for free slots: after a NOTIFY, when a slot frees up, when a requeued job
    /// comes due, and on the fallback poll. It claims more than there are free workers only
    /// during a backlog of short jobs (`WorkerConfig.prefetch`), and nothing while outcomes
    /// cannot be written or leases cannot be extended. A claim commits
    /// durably (the session's default `synchronous_commit`), so no handler starts on a claim a
    /// server crash could undo. Notifications arrive on `listener` when there is one (direct
    /// to PostgreSQL while claims go through a pooler), else on the claims' own connection.
    func producerLoop(_ connection: Connection, listener: Connection?) {
        let queue = JobQueue(connection)
        let waiter = listener ?? connection
        var needClaim = true
        // New work was announced (NOTIFY, poll, a requeued job due): claim without gathering.
        var urgent = true
        var gatherUntil: Date?
        var claimSeconds = 0.0
        var hint = JobQueue.ClaimHint()
        // The last claim got fewer jobs than it asked for: nothing more was ready. A freed slot
        // then needs no claim of its own; new work announces itself (NOTIFY), and the poll
        // finds what does not (a retry another process scheduled, a job scheduled for later).
        // With caps set, the completer asks for a claim once outcomes are written (a finished
        // job frees its tenant's cap).
        var drained = false
        // The last claim got every job it asked for (a backlog): claim ahead (`prefetch`).
        var backlog = false
        var failures = 0
        while !isStopping() {
            do {
                if waiter.listening.isEmpty {
                    try waiter.listen(JobQueue.notifyChannel)
                    try waiter.listen(JobQueue.cancelChannel)
                }
                if needClaim && claimsHeld() {
                    // Woken again when the completer or the maintenance thread recovers.
                    let result = try waiter.waitForNotifications(timeout: config.pollInterval, alsoWatching: producerWake.readFD)
                    if result.woken { producerWake.drain() }
                    handle(result.notifications, needClaim: &needClaim, urgent: &urgent)
                    continue
                }
                if needClaim {
                    needClaim = false
                    // With a backlog (the last claim got every job it asked for) of jobs shorter
                    // than a claim's round trip, up to `prefetch` jobs are claimed ahead of the
                    // workers: the next claim's round trip then runs while the jobs claimed before
                    // it do, instead of after them. Longer jobs gain little from it, and a job
                    // claimed ahead waits for a worker (other processes cannot take it meanwhile):
                    // with short jobs, only for a few of their run times.
                    let (free, busyNow, recentJobSeconds) = slots()
                    let ahead = backlog && recentJobSeconds < claimSeconds ? config.prefetchDepth : 0
                    // A claim is made at full size: once no more than `ahead` of the jobs held are
                    // unfinished. Short jobs free their slots one by one while a claim is in flight,
                    // and claiming each as it frees makes many small claims, each paying a claim's
                    // fixed cost. So once a worker is idle, the others may finish for at most one
                    // claim's round trip (never more than 2 ms) before the claim goes anyway. New
                    // work (NOTIFY, poll, a job due) with a worker idle claims at once.
                    if busyNow > ahead && !(urgent && free > 0) {
                        guard free > 0 else {
                            // Every worker is busy: woken when one frees, or when enough did.
                            setWakeProducerAtBusy(max(ahead, config.concurrency - 1))
                            if slots().busy > max(ahead, config.concurrency - 1) { continue }
                            needClaim = true
                            continue
                        }
                        let deadline = gatherUntil ?? Date().addingTimeInterval(min(claimSeconds, WorkerPool.maxGather))
                        if Date() < deadline {
                            gatherUntil = deadline
                            setWakeProducerAtBusy(ahead)
                            if slots().busy > ahead {
                                let result = try waiter.waitForNotifications(timeout: deadline.timeIntervalSinceNow, alsoWatching: producerWake.readFD)
                                if result.woken { producerWake.drain() }
                                handle(result.notifications, needClaim: &needClaim, urgent: &urgent)
                                needClaim = true
                                continue
                            }
                        }
                    }
                    setWakeProducerAtBusy(.max)
                    gatherUntil = nil
                    urgent = false
                    let limit = config.concurrency + ahead - slots().busy
                    if limit > 0 {
                        let started = Monotonic.now()
                        let jobs = try queue.claim(worker: config.workerName, limit: limit, leaseSeconds: config.lease, hint: &hint)
                        claimSeconds = Monotonic.now() - started
                        observer?.claimed(jobs, seconds: claimSeconds)
                        dispatch(jobs, leaseHeldUntil: started + config.lease)
                        backlog = jobs.count == limit
                        drained = !backlog
                        // A batch that got every job it asked for may mean more is waiting.
                        if backlog { needClaim = true; continue }
                    }
                }
                let result = try waiter.waitForNotifications(timeout: waitTimeout(), alsoWatching: producerWake.readFD)
                if result.woken {
                    producerWake.drain()
                    if takeClaimRequest() || !drained { needClaim = true }
                }
                handle(result.notifications, needClaim: &needClaim, urgent: &urgent)
                // The poll, a job due, or a reconnect (notifications may have been missed).
                if !result.woken && result.notifications.isEmpty || result.reconnected { needClaim = true; urgent = true }
                failures = 0
                observer?.producerRound(ok: true)
            } catch {
                failures += 1
                observer?.producerRound(ok: false)
                let delay = WorkerPool.reconnectBackoff.window(attempt: failures)
                logger.error("producer failed; retrying", metadata: ["error": "\(error)", "retry_in_seconds": "\(delay)"])
                pause(delay)
                needClaim = true
            }
        }
        releaseClaimedAhead()
    }

    /// At shutdown, jobs claimed ahead that no worker has taken are released at once rather than
    /// run: they did not start, and the grace period is for jobs that did.
    private func releaseClaimedAhead() {
        let ahead = channel.takeBack { $0.claimedAhead }
        guard !ahead.isEmpty else { return }
        state.lock()
        busy -= ahead.count
        state.unlock()
        let released = release(ahead)
        logger.info("worker stopping: released jobs claimed ahead", metadata: ["jobs": "\(released)"])
    }

    /// The longest the producer lets freed slots gather before claiming them.
    static let maxGather = 0.002

    /// Notifications are hints, and anyone may send one: new work makes the producer claim
    /// (the claim reads the queue), and a cancel naming a job this process runs makes the
    /// maintenance thread read whether that job's cancel was requested (fenced by its lease
    /// token) before anything is interrupted.
    private func handle(_ notifications: [Postgres.Notification], needClaim: inout Bool, urgent: inout Bool) {
        var check = false
        for note in notifications {
            if note.channel == JobQueue.cancelChannel {
                guard let id = Int64(note.payload) else { continue }
                state.lock()
                if running[id] != nil { cancelChecks.insert(id); check = true }
                state.unlock()
            } else {
                needClaim = true
                urgent = true
            }
        }
        if check { maintenanceWake.lock(); maintenanceWake.broadcast(); maintenanceWake.unlock() }
    }

    /// Whether claims wait: the last outcome write or the last heartbeat failed. A job claimed
    /// now could neither be reported nor kept.
    private func claimsHeld() -> Bool {
        state.lock(); defer { state.unlock() }
        return outcomesBlocked || maintenanceFailing
    }

    /// Whether something other than a freed slot asked for a claim (see `requestClaim()`).
    private func takeClaimRequest() -> Bool {
        state.lock(); defer { state.unlock() }
        let requested = claimRequested
        claimRequested = false
        return requested
    }

    private func slots() -> (free: Int, busy: Int, jobSeconds: Double) {
        state.lock(); defer { state.unlock() }
        return (config.concurrency - busy, busy, jobSeconds)
    }

    private func setWakeProducerAtBusy(_ value: Int) {
        state.lock()
        wakeProducerAtBusy = value
        state.unlock()
    }

    func isStopping() -> Bool {
        state.lock(); defer { state.unlock() }
        return stopping
    }

    private func dispatch(_ jobs: [Job], leaseHeldUntil: Double) {
        guard !jobs.isEmpty else { return }
        var contexts: [JobContext] = []
        state.lock()
        // Jobs beyond the free workers were claimed ahead: they wait for a worker, and at
        // shutdown they are released rather than run.
        let free = config.concurrency - busy
        for (index, job) in jobs.enumerated() {
            let context = JobContext(job: job, logger: logger, pool: handlerPool, leaseHeldUntil: leaseHeldUntil)
            context.claimedAhead = index >= free
            running[job.id] = context
            busy += 1
            contexts.append(context)
        }
        claimedSinceVacuum += jobs.count
        let vacuumDue = vacuumWanted
        state.unlock()
        if vacuumDue { maintenanceWake.lock(); maintenanceWake.broadcast(); maintenanceWake.unlock() }
        for context in contexts where context.job.cancelRequested { context.interrupt(.cancelled) }
        channel.put(contexts)
    }

    /// Until the next poll, or sooner when a job this process requeued comes due.
    private func waitTimeout() -> Double {
        state.lock(); defer { state.unlock() }
        var timeout = config.pollInterval
        if let due = nextDue {
            let untilDue = due.timeIntervalSinceNow
            if untilDue <= 0 { nextDue = nil; return 0 }
            if untilDue < timeout { timeout = untilDue; nextDue = nil }
        }
        return timeout
    }

    /// Sleeps up to `seconds`, waking early on stop.
    func pause(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        state.lock()
        while !stopping && state.wait(until: deadline) {}
        state.unlock()
    }
}
