import Foundation
import Postgres

extension WorkerPool {
    /// After the producer stopped (`draining`): lets the jobs this process claimed finish within
    /// the grace period, then (`releasing`) releases what is left to the queue, and
    /// (`finishing`) flushes outcomes and stops the completer and the maintenance thread.
    func drain() {
        // A claimed job waits in the channel only for the moment a free thread needs to take it,
        // and the database already shows it running: it gets the grace period like the others.
        let deadline = Date().addingTimeInterval(config.gracePeriod)
        state.lock()
        while busy > 0 && lifecycle == .draining && Date() < deadline { _ = state.wait(until: deadline) }
        advanceLocked(to: .releasing)
        state.unlock()

        // Every held job not yet finished, whether a thread took it or not, is released. A
        // handler still running is told to stop; its outcome, should it still come, is not
        // written (`markFinished` refuses it), and one that finished first is skipped here.
        let untaken = channel.close()
        state.lock()
        busy -= untaken.count
        let held = Array(running.values)
        state.unlock()
        let released = release(held)
        if released > 0 {
            logger.warning("grace period over: released unfinished jobs to the queue", metadata: ["jobs": "\(released)"])
        }

        state.lock()
        advanceLocked(to: .finishing)
        state.broadcast()
        state.unlock()
        maintenanceWake.lock(); maintenanceWake.broadcast(); maintenanceWake.unlock()
        // Only the completer and the maintenance thread are waited for; the completer gives up on
        // a batch it cannot write after a few tries. A worker thread inside a handler that does
        // not stop when interrupted is left behind: the process exits without it.
        _ = helpersFinished.wait(timeout: .now() + 10)
        handlerPool.close()
    }

    /// Stops these attempts and gives their jobs back to the queue (attempt refunded), except
    /// those already finished. Returns how many it released.
    func release(_ contexts: [JobContext]) -> Int {
        var released = 0
        for context in contexts {
            context.interrupt(.shutdown)
            guard context.markFinished() else { continue }
            state.lock()
            submitLocked(Completion.release(job: context.job, token: context.leaseToken), context)
            state.unlock()
            released += 1
        }
        return released
    }
}
