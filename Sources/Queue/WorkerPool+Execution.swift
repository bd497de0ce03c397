import Foundation
import Postgres

extension WorkerPool {
    /// A worker thread: takes claimed jobs, runs their handler, reports the outcome.
    func workerLoop() {
        while let context = channel.take() {
            let result = Result { try execute(context) }
            if context.markFinished() {
                if let completion = Completion.from(result: result, job: context.job, token: context.leaseToken, backoff: config.backoff) {
                    submit(completion)
                } else {
                    forget(context.job.id, token: context.leaseToken)
                    logStateChange("job attempt abandoned: lease lost", job: context.job, state: .running)
                }
            }
            state.lock()
            busy -= 1
            // Only the shutdown drain waits on `state` for this; the producer hears it through its
            // pipe, at once unless it is gathering freed slots and others are still busy.
            if stopping { state.broadcast() }
            let wake = !gathering || busy == 0
            state.unlock()
            if wake { producerWake.wake() }
        }
    }

    private func execute(_ context: JobContext) throws -> JobResult {
        try context.checkpoint()
        // Logged by the thread that runs the handler, just before it does (the log's time is
        // when the handler started, to the microsecond).
        logStateChange("job running", job: context.job, state: .running)
        guard let handler = handlers[context.job.kind] else {
            // Retryable: a newer worker that knows this kind may be rolling out.
            throw JobError("no handler for job kind '\(context.job.kind)' in this worker", retryable: true)
        }
        return try handler.run(context)
    }

    func submit(_ completion: Completion) {
        let now = Monotonic.now()
        state.lock()
        outcomePendingSince[completion.leaseToken] = now
        pendingCompletions.append(completion)
        state.broadcast()
        state.unlock()
    }

    /// Drops an attempt this process no longer holds. By token: the same job may have been
    /// rescued and claimed here again since.
    func forget(_ id: Int64, token: UUID) {
        state.lock()
        forgetLocked(id, token: token)
        state.unlock()
    }

    func forgetLocked(_ id: Int64, token: UUID) {
        if running[id]?.leaseToken == token { running[id] = nil }
        outcomePendingSince[token] = nil
        beingWritten.remove(token)
    }
}
