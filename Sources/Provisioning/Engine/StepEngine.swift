import AWS
import Foundation
import Postgres
import Queue

/// Runs a plan: skips finished steps, writes an intent before each create, records each
/// finished step's outputs with its event in one fenced statement, turns waits into snoozes
/// with a deadline, and says in events what it does and why it retries or fails.
struct StepEngine {
    let job: JobContext
    let aws: AWSClient
    let tags: Tags
    let events: EventTarget
    let settings: ProvisioningSettings

    enum Result {
        case finished(StepOutputs)
        case snooze(Double)
        /// The plan was superseded (a delete asked the create to stop).
        case stopped(String)
    }

    /// `shouldStop` is asked at every step boundary (e.g. "has a delete been requested?").
    func run(_ plan: Plan, outputs initial: StepOutputs = [:], shouldStop: () throws -> String? = { nil }) throws -> Result {
        var outputs = initial
        let checkpoints = try job.withConnection { try CheckpointStore($0).load(scope: plan.scope) }
        // Create steps write a client token with their checkpoint.
        let lastCreateWritten = checkpoints.values.filter { $0.clientToken != nil }.compactMap(\.updatedAt).max()
        for step in plan.steps {
            try job.checkpoint()
            if let reason = try shouldStop() { return .stopped(reason) }
            let existing = checkpoints[step.name]
            let start = StepDecisions.start(step, existing: existing, attempt: job.job.attempt)
            if start.skip {
                outputs.merge(existing?.outputs ?? [:]) { $1 }
                continue
            }
            switch try run(step, start, in: plan, existing: existing, outputs: outputs, lastCreateWritten: lastCreateWritten) {
            case .done(let produced): outputs.merge(produced) { $1 }
            case .wait(let seconds, _): return .snooze(seconds)
            }
        }
        return .finished(outputs)
    }

    private func run(_ step: Step, _ start: StepDecisions.Start, in plan: Plan, existing: Checkpoint?, outputs: StepOutputs,
                     lastCreateWritten: Date?) throws -> StepOutcome {
        let token = ClientToken.make(scope: plan.scope, step: step.name, generation: start.generation)
        // Every write of this step's checkpoint: same scope, step, generation and token.
        let write = { (state: Checkpoint.State, outputs: StepOutputs, waitingSince: Date?, event: EventTarget.Pending?) in
            try job.withConnection { connection in
                try CheckpointStore(connection).write(scope: plan.scope, step: step.name, state: state, generation: start.generation,
                                                      token: step.kind == .create ? token : nil, outputs: outputs,
                                                      waitingSince: waitingSince, job: job, event: event)
            }
        }
        if let announce = start.announce { try events.add(job: job, type: "step.started", step: step.name, message: announce) }
        CrashPoint.hit(.beforeIntent, step: step.name, settings: settings)
        if start.writeIntent { try write(.intent, [:], nil, nil) }
        CrashPoint.hit(.afterIntent, step: step.name, settings: settings)

        let context = StepContext(step: step.name, scope: plan.scope, job: job, aws: announcingRetries(of: step), tags: tags,
                                  outputs: outputs, generation: start.generation, resumed: start.resumed, settings: settings,
                                  events: events, progress: existing?.outputs ?? [:], lastWritten: existing?.updatedAt,
                                  lastCreateWritten: lastCreateWritten) { progress in
            try write(.intent, progress, existing?.waitingSince, nil)
        }
        // What the step's row keeps when the step ends without `done`: its progress, and for a
        // create, that this run ended knowing what it sent (see StepContext.createOnce).
        let progress = { () -> StepOutputs in
            var progress = context.current
            if step.kind == .create, progress[StepContext.unrecordedCreateKey] == nil { progress[StepContext.unrecordedCreateKey] = "" }
            return progress
        }
        let outcome: StepOutcome
        var pending: StepPending?
        do {
            outcome = try step.body(context)
        } catch {
            guard let waiting = StepDecisions.pending(error, step: step.name, known: context.knownIds, settings: settings) else {
                if step.kind == .create, !(error is JobInterrupted) {
                    // Best effort: the failure may be the database's own.
                    try? write(.intent, progress(), existing?.waitingSince, nil)
                }
                if !(error is JobInterrupted) { ProvisioningMetrics.stepFailed(step: step.name, code: (error as? AWSError)?.code) }
                let failure = StepDecisions.failure(error, step: step.name, region: aws.region)
                if let event = failure.event {
                    if failure.eventBestEffort {
                        try? events.add(job: job, type: event.type, step: step.name, message: event.message, data: event.data)
                    } else {
                        try events.add(job: job, type: event.type, step: step.name, message: event.message, data: event.data)
                    }
                }
                throw failure.error
            }
            pending = waiting
            outcome = .wait(seconds: settings.pollInterval, reason: waiting.reason)
        }

        switch outcome {
        case .done(let produced):
            CrashPoint.hit(.afterCall, step: step.name, settings: settings)
            try write(.done, produced, nil,
                      EventTarget.Pending(target: events, type: "step.finished", message: "\(step.name) done", data: produced))
            CrashPoint.hit(.afterCheckpoint, step: step.name, settings: settings)
            return outcome
        case .wait(let seconds, let reason):
            let now = Date()
            let deadline = pending?.deadline ?? step.waitDeadline ?? settings.stepWaitDeadline
            switch StepDecisions.wait(step, reason: reason, existing: existing, now: now, deadline: deadline) {
            case .giveUp(let message):
                // Forget the wait, so that a later job (a delete run again) gets a full deadline.
                try write(.intent, progress(), nil, EventTarget.Pending(target: events, type: "step.failed", message: message, data: [:]))
                throw JobError(message, retryable: false)
            case .snooze(let since, let announce):
                var event = announce.map { EventTarget.Pending(target: events, type: "step.waiting", message: $0, data: [:]) }
                if let retry = pending?.retry {
                    event = EventTarget.Pending(target: events, type: retry.type, message: retry.message, data: retry.data)
                }
                try write(.intent, progress(), since, event)
                guard let pending else { return outcome }
                let snooze = StepDecisions.pendingSnooze(waited: now.timeIntervalSince(since), poll: settings.pollInterval,
                                                         atLeast: pending.atLeast)
                return .wait(seconds: snooze, reason: reason)
            }
        }
    }

    /// The job's AWS client for one step, whose in-call retries (after a timeout, a dropped
    /// connection, a 5xx) are `retry` events at once, so a user following the cluster sees a
    /// slow AWS while the call still waits. Throttling is left out: it is routine under load,
    /// and the client paces itself.
    private func announcingRetries(of step: Step) -> AWSClient {
        var client = aws
        let earlier = client.configuration.onRetry
        let (job, events) = (self.job, self.events)
        client.configuration.onRetry = { notice in
            earlier?(notice)
            guard notice.error.classification != .throttled else { return }
            var data = StepDecisions.awsData(notice.error)
            data["attempt"] = "\(notice.attempt)"
            // Best effort: an event must not fail the call it reports on.
            try? events.add(job: job, type: "retry", step: step.name, message: "\(step.name): \(notice)", data: data)
        }
        return client
    }
}
