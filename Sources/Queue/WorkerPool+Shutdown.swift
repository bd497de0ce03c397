import Foundation
import Postgres

extension WorkerPool {
    /// After the producer stopped: let the jobs this process claimed finish within the grace
    /// period, release what is left to the queue, flush outcomes, stop the helpers.
    func drain() {
        // A claimed job waits in the channel only for the moment a free thread needs to take it,
        // and the database already shows it running: it gets the grace period like the others.
        let deadline = Date().addingTimeInterval(config.gracePeriod)
        state.lock()
        while busy > 0 && !graceCutShort && Date() < deadline { _ = state.wait(until: deadline) }
        state.unlock()

        // Past the grace period (or cut short): every held job not yet finished, whether a
        // thread took it or not, is released. A handler still running is told to stop; its
        // outcome is fenced out. Finished ones (outcome submitted) are skipped by `markFinished`.
        let untaken = channel.close()
        state.lock()
        busy -= untaken.count
        let held = Array(running.values)
        state.unlock()
        var released = 0
        for context in held {
            context.interrupt(.shutdown)
            guard context.markFinished() else { continue }
            state.lock()
            submitLocked(Completion.release(job: context.job, token: context.leaseToken), context)
            state.unlock()
            released += 1
        }
        if released > 0 {
            logger.warning("grace period over: released unfinished jobs to the queue", metadata: ["jobs": "\(released)"])
        }

        state.lock()
        completerStopping = true
        maintenanceStopping = true
        state.broadcast()
        state.unlock()
        maintenanceWake.lock(); maintenanceWake.broadcast(); maintenanceWake.unlock()
        // Worker threads still inside a handler are abandoned (their outcome is fenced out);
        // wait only for the completer and maintenance threads, which finish promptly.
        _ = finished.wait(timeout: .now() + 10)
        handlerPool.close()
    }
}
