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
        for step in plan.steps {
            try job.checkpoint()
            if let reason = try shouldStop() { return .stopped(reason) }
            let existing = checkpoints[step.name]
            let start = StepDecisions.start(step, existing: existing, attempt: job.job.attempt)
            if start.skip {
                outputs.merge(existing?.outputs ?? [:]) { $1 }
                continue
            }
            switch try run(step, start, in: plan, existing: existing, outputs: outputs) {
            case .done(let produced): outputs.merge(produced) { $1 }
            case .wait(let seconds, _): return .snooze(seconds)
            }
        }
        return .finished(outputs)
    }

    private func run(_ step: Step, _ start: StepDecisions.Start, in plan: Plan, existing: Checkpoint?, outputs: StepOutputs) throws -> StepOutcome {
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

        let context = StepContext(step: step.name, scope: plan.scope, job: job, aws: aws, tags: tags, outputs: outputs,
                                  generation: start.generation, resumed: start.resumed, settings: settings, events: events,
                                  progress: existing?.outputs ?? [:]) { progress in
            try write(.intent, progress, existing?.waitingSince, nil)
        }
        let outcome: StepOutcome
        do {
            outcome = try step.body(context)
        } catch {
            if !(error is JobInterrupted) { ProvisioningMetrics.stepFailed(step: step.name, code: (error as? AWSError)?.code) }
            let failure = StepDecisions.failure(error, step: step.name)
            if let event = failure.event {
                if failure.eventBestEffort {
                    try? events.add(job: job, type: event.type, step: step.name, message: event.message, data: event.data)
                } else {
                    try events.add(job: job, type: event.type, step: step.name, message: event.message, data: event.data)
                }
            }
            throw failure.error
        }

        switch outcome {
        case .done(let produced):
            CrashPoint.hit(.afterCall, step: step.name, settings: settings)
            try write(.done, produced, nil,
                      EventTarget.Pending(target: events, type: "step.finished", message: "\(step.name) done", data: produced))
            CrashPoint.hit(.afterCheckpoint, step: step.name, settings: settings)
            return outcome
        case .wait(_, let reason):
            switch StepDecisions.wait(step, reason: reason, existing: existing, now: Date(), defaultDeadline: settings.stepWaitDeadline) {
            case .giveUp(let message):
                // Forget the wait, so that a later job (a delete run again) gets a full deadline.
                try write(.intent, existing?.outputs ?? [:], nil,
                          EventTarget.Pending(target: events, type: "step.failed", message: message, data: [:]))
                throw JobError(message, retryable: false)
            case .snooze(let since, let announce):
                try write(.intent, existing?.outputs ?? [:], since,
                          announce.map { EventTarget.Pending(target: events, type: "step.waiting", message: $0, data: [:]) })
                return outcome
            }
        }
    }
}
