import Foundation
import Postgres

extension WorkerPool {
    /// Claims jobs for free slots: after a NOTIFY, when a slot frees up, when a requeued job
    /// comes due, and on the fallback poll. It never claims more than there are free workers.
    func producerLoop() {
        guard let connection = connectWithRetry(role: "producer", until: isStopping) else { return }
        let queue = JobQueue(connection)
        var needClaim = true
        // New work was announced (NOTIFY, poll, a requeued job due): claim without gathering.
        var urgent = true
        var gatherUntil: Date?
        var claimSeconds = 0.0
        var hint = JobQueue.ClaimHint()
        var failures = 0
        while !isStopping() {
            do {
                if connection.listening.isEmpty {
                    // Claims are safe to lose in a server crash (the job just stays queued), so
                    // the producer does not wait for the WAL flush.
                    try connection.setSessionParameter("synchronous_commit", "off")
                    try connection.listen(JobQueue.notifyChannel)
                    try connection.listen(JobQueue.cancelChannel)
                }
                if needClaim {
                    let (free, busyNow) = slots()
                    needClaim = false
                    // Short jobs free their slots one by one while a claim is in flight. Claiming
                    // each as it frees makes many small claims, each paying a claim's fixed cost
                    // while the other slots idle. So while jobs that just started are finishing,
                    // freed slots gather for at most one claim's round trip, then go in one claim.
                    // New work (NOTIFY, poll, a job due) and a fully idle pool claim at once.
                    if free > 0 && busyNow > 0 && !urgent {
                        let deadline = gatherUntil ?? Date().addingTimeInterval(min(claimSeconds, WorkerPool.maxGather))
                        if Date() < deadline {
                            gatherUntil = deadline
                            setGathering(true)
                            if slots().busy > 0 {
                                let result = try connection.waitForNotifications(timeout: deadline.timeIntervalSinceNow, alsoWatching: producerWake.readFD)
                                if result.woken { producerWake.drain() }
                                handle(result.notifications, needClaim: &needClaim, urgent: &urgent)
                                needClaim = true
                                continue
                            }
                        }
                    }
                    setGathering(false)
                    gatherUntil = nil
                    urgent = false
                    if free > 0 {
                        let started = Date()
                        let jobs = try queue.claim(worker: config.workerName, limit: free, leaseSeconds: config.lease, hint: &hint)
                        claimSeconds = Date().timeIntervalSince(started)
                        observer?.claimed(jobs, seconds: claimSeconds)
                        dispatch(jobs)
                        // A batch that filled some slots may mean more is waiting: look again now.
                        if !jobs.isEmpty && slots().free > 0 { needClaim = true; continue }
                    }
                }
                let result = try connection.waitForNotifications(timeout: waitTimeout(), alsoWatching: producerWake.readFD)
                if result.woken { producerWake.drain(); needClaim = true }
                handle(result.notifications, needClaim: &needClaim, urgent: &urgent)
                if !result.woken && result.notifications.isEmpty { needClaim = true; urgent = true }  // poll or due
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
    }

    /// The longest the producer lets freed slots gather before claiming them.
    static let maxGather = 0.002

    private func handle(_ notifications: [Postgres.Notification], needClaim: inout Bool, urgent: inout Bool) {
        for note in notifications {
            if note.channel == JobQueue.cancelChannel, let id = Int64(note.payload) {
                context(for: id)?.interrupt(.cancelled)
            } else {
                needClaim = true
                urgent = true
            }
        }
    }

    private func slots() -> (free: Int, busy: Int) {
        state.lock(); defer { state.unlock() }
        return (config.concurrency - busy, busy)
    }

    private func setGathering(_ value: Bool) {
        state.lock()
        gathering = value
        state.unlock()
    }

    func isStopping() -> Bool {
        state.lock(); defer { state.unlock() }
        return stopping
    }

    private func context(for id: Int64) -> JobContext? {
        state.lock(); defer { state.unlock() }
        return running[id]
    }

    private func dispatch(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        var contexts: [JobContext] = []
        state.lock()
        for job in jobs {
            let context = JobContext(job: job, logger: logger, pool: handlerPool)
            running[job.id] = context
            busy += 1
            contexts.append(context)
        }
        claimedSinceVacuum += jobs.count
        let vacuumDue = vacuumWanted
        state.unlock()
        if vacuumDue { maintenanceWake.lock(); maintenanceWake.broadcast(); maintenanceWake.unlock() }
        for context in contexts {
            logStateChange("job running", job: context.job, state: .running)
            if context.job.cancelRequested { context.interrupt(.cancelled) }
            channel.put(context)
        }
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
