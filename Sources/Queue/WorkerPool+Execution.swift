import Foundation
import Postgres

extension WorkerPool {
    /// A worker thread: takes claimed jobs, runs their handler, reports the outcome.
    func workerLoop() {
        while let context = channel.take() {
            let started = observer == nil ? 0 : ProcessInfo.processInfo.systemUptime
            let result = Result { try execute(context) }
            if context.markFinished() {
                let completion = Completion.from(result: result, job: context.job, token: context.leaseToken, backoff: config.backoff)
                observer?.attemptFinished(context.job, outcome: AttemptOutcome(completion), seconds: ProcessInfo.processInfo.systemUptime - started)
                if let completion {
                    submit(completion)
                } else {
                    forget(context.job.id)
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
        guard let handler = handlers[context.job.kind] else {
            // Retryable: a newer worker that knows this kind may be rolling out.
            throw JobError("no handler for job kind '\(context.job.kind)' in this worker", retryable: true)
        }
        return try handler.run(context)
    }

    func submit(_ completion: Completion) {
        state.lock()
        pendingCompletions.append(completion)
        state.broadcast()
        state.unlock()
    }

    func forget(_ id: Int64) {
        state.lock()
        running[id] = nil
        state.unlock()
    }
}
