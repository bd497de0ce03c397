import Foundation
import Logging
import Postgres

extension WorkerPool {
    /// Outcomes are retried sooner than connections: their leases are ticking.
    static let completerBackoff = Backoff(base: 0.04, cap: 2)

    /// Writes outcomes back in batches: whatever finished while the previous write was in
    /// flight goes in the next statement, so the batch grows with the load.
    func completerLoop(_ connection: Connection) {
        let queue = JobQueue(connection)
        var failures = 0
        while true {
            state.lock()
            while pendingCompletions.isEmpty && !completerStopping {
                completerIdle = true
                state.wait()
                completerIdle = false
            }
            if pendingCompletions.isEmpty && completerStopping { state.unlock(); break }
            let batch = pendingCompletions
            pendingCompletions.removeAll(keepingCapacity: true)
            state.unlock()

            while true {
                do {
                    let written = try queue.complete(batch)
                    recordWritten(batch, written)
                    if failures > 0 { setOutcomesBlocked(false) }
                    failures = 0
                    break
                } catch {
                    failures += 1
                    // The producer claims nothing until outcomes can be written again. Unwritten
                    // outcomes are safe: once one has waited a lease, its job is no longer
                    // heartbeated, and any process's rescuer requeues it.
                    if failures == 1 { setOutcomesBlocked(true) }
                    if completerStoppingNow() && failures >= 3 {
                        logger.error("completer giving up on a batch at shutdown", metadata: ["jobs": "\(batch.count)", "error": "\(error)"])
                        state.lock(); for completion in batch { forgetLocked(completion.job.id, token: completion.leaseToken) }; state.unlock()
                        break
                    }
                    let delay = WorkerPool.completerBackoff.window(attempt: failures)
                    logger.error("completer failed; retrying", metadata: ["error": "\(error)", "retry_in_seconds": "\(delay)"])
                    Thread.sleep(forTimeInterval: delay)
                }
            }
        }
    }

    private func setOutcomesBlocked(_ blocked: Bool) {
        state.lock()
        outcomesBlocked = blocked
        state.unlock()
        if !blocked { requestClaim() }
    }

    private func completerStoppingNow() -> Bool {
        state.lock(); defer { state.unlock() }
        return completerStopping
    }

    private func recordWritten(_ batch: [Completion], _ written: [JobQueue.Written]) {
        var byID: [Int64: JobQueue.Written] = [:]
        for item in written { byID[item.id] = item }
        var earliest: Date?
        state.lock()
        for completion in batch { forgetLocked(completion.job.id, token: completion.leaseToken) }
        for item in written where item.state == .queued {
            earliest = min(earliest ?? item.runAt, item.runAt)
        }
        if let earliest { nextDue = min(nextDue ?? earliest, earliest) }
        // A written outcome frees its tenant's cap: with caps the producer looks again now
        // (its claim when the slot freed may have come before this write).
        let claim = capsExist && !written.isEmpty
        state.unlock()
        if claim { requestClaim() } else if earliest != nil { producerWake.wake() }

        for completion in batch {
            guard let item = byID[completion.job.id] else {
                logStateChange("job outcome discarded: lease no longer held", job: completion.job, state: completion.state)
                continue
            }
            var extra: Logger.Metadata = [:]
            if let error = completion.error { extra["error"] = "\(error)" }
            switch (item.state, completion.snooze, completion.refundAttempt) {
            case (.queued, true, _): extra["snooze_seconds"] = "\(completion.delay)"; logStateChange("job snoozed", job: completion.job, state: .queued, extra: extra)
            case (.queued, false, true): logStateChange("job released to the queue", job: completion.job, state: .queued, extra: extra)
            case (.queued, _, _): extra["retry_in_seconds"] = "\(completion.delay)"; logStateChange("job retry scheduled", job: completion.job, state: .queued, extra: extra)
            default: logStateChange("job \(item.state.rawValue)", job: completion.job, state: item.state, extra: extra)
            }
        }
    }
}
