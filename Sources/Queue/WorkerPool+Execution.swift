import Foundation
import Postgres

extension WorkerPool {
    /// A worker thread: takes claimed jobs, runs their handler, reports the outcome.
    func workerLoop() {
        while let context = channel.take() {
            let started = Monotonic.now()
            let result = Result { try execute(context) }
            let ran = Monotonic.now() - started
            var completion: Completion?
            var abandoned = false
            if context.markFinished() {
                completion = Completion.from(result: result, job: context.job, token: context.leaseToken, backoff: config.backoff)
                abandoned = completion == nil
                observer?.attemptFinished(context.job, outcome: AttemptOutcome(completion), seconds: Monotonic.now() - started)
            }
            // One critical section per job: the outcome and the freed slot.
            state.lock()
            if let completion { submitLocked(completion, context) }
            if abandoned { forgetLocked(context) }
            busy -= 1
            // A moving average over about the last 8 jobs (the first one sets it).
            jobSeconds = jobSeconds.isFinite ? jobSeconds + (ran - jobSeconds) / 8 : ran
            // Only the shutdown drain waits on `state` for this; the producer hears it through its
            // pipe, at once unless it is gathering freed slots or has jobs claimed ahead waiting.
            if lifecycle == .draining { state.broadcast() }
            let wake = busy <= wakeProducerAtBusy
            state.unlock()
            if abandoned { logStateChange("job attempt abandoned: lease lost", job: context.job, state: .running) }
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

    /// A confirmed cancel: the handler stops at its next checkpoint, and a job claimed ahead
    /// that no worker has taken yet ends `cancelled` at once, without running.
    func cancel(_ context: JobContext) {
        context.interrupt(.cancelled)
        guard context.claimedAhead, !channel.takeBack(where: { $0 === context }).isEmpty, context.markFinished() else { return }
        let outcome = Completion.from(result: .failure(JobInterrupted(reason: .cancelled)), job: context.job,
                                      token: context.leaseToken, backoff: config.backoff)
        state.lock()
        if let outcome { submitLocked(outcome, context) }
        busy -= 1
        let wake = busy <= wakeProducerAtBusy
        state.unlock()
        if wake { producerWake.wake() }
    }

    /// Hands an attempt's outcome to the completer. The caller holds `state`.
    func submitLocked(_ completion: Completion, _ context: JobContext) {
        var completion = completion
        completion.submittedAt = Monotonic.now()
        context.outcomeSubmittedAt = completion.submittedAt
        pendingCompletions.append(completion)
        // Only an idle completer needs waking: a busy one takes everything pending when its
        // write returns.
        if completerIdle { state.broadcast() }
    }

    /// Drops an attempt this process no longer holds (the caller holds `state`). By lease
    /// token: the same job may have been rescued and claimed here again since.
    func forgetLocked(_ context: JobContext) {
        forgetLocked(context.job.id, token: context.leaseToken)
    }

    func forgetLocked(_ id: Int64, token: UUID) {
        if running[id]?.leaseToken == token { running[id] = nil }
    }
}
