import Foundation
import Postgres

extension WorkerPool {
    /// After the producer stopped: let running jobs finish within the grace period, release
    /// what is left to the queue, flush outcomes, stop the helpers.
    func drain() {
        for context in channel.close() {
            // Claimed but never started: back to the queue at once.
            if context.markFinished() { submit(Completion.release(job: context.job, token: context.leaseToken)) }
            state.lock(); busy -= 1; state.unlock()
        }

        let deadline = Date().addingTimeInterval(config.gracePeriod)
        state.lock()
        while busy > 0 && !graceCutShort && Date() < deadline { _ = state.wait(until: deadline) }
        let left = busy > 0 ? Array(running.values) : []
        state.unlock()

        if !left.isEmpty {
            logger.warning("grace period over: releasing running jobs to the queue", metadata: ["jobs": "\(left.count)"])
            for context in left {
                context.interrupt(.shutdown)
                if context.markFinished() { submit(Completion.release(job: context.job, token: context.leaseToken)) }
            }
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
