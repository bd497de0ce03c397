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
            if let existing, existing.state == .done {
                outputs.merge(existing.outputs) { $1 }
                continue
            }
            switch try run(step, in: plan, existing: existing, outputs: outputs) {
            case .done(let produced): outputs.merge(produced) { $1 }
            case .wait(let seconds, _): return .snooze(seconds)
            }
        }
        return .finished(outputs)
    }

    private func run(_ step: Step, in plan: Plan, existing: Checkpoint?, outputs: StepOutputs) throws -> StepOutcome {
        let generation = existing?.generation ?? 1
        let resumed = existing != nil
        let token = ClientToken.make(scope: plan.scope, step: step.name, generation: generation)
        // Every write of this step's checkpoint: same scope, step, generation and token.
        let write = { (state: Checkpoint.State, outputs: StepOutputs, waitingSince: Date?, event: EventTarget.Pending?) in
            try job.withConnection { connection in
                try CheckpointStore(connection).write(scope: plan.scope, step: step.name, state: state, generation: generation,
                                                      token: step.kind == .create ? token : nil, outputs: outputs,
                                                      waitingSince: waitingSince, job: job, event: event)
            }
        }
        let firstLook = existing?.waitingSince == nil
        if firstLook {
            try events.add(job: job, type: "step.started", step: step.name,
                           message: resumed ? "resuming \(step.name) (attempt \(job.job.attempt))" : "starting \(step.name)")
        }
        CrashPoint.hit(.beforeIntent, step: step.name, settings: settings)
        if step.kind == .create && existing == nil {
            try write(.intent, [:], nil, nil)
        }
        CrashPoint.hit(.afterIntent, step: step.name, settings: settings)

        let context = StepContext(step: step.name, scope: plan.scope, job: job, aws: aws, tags: tags, outputs: outputs,
                                  generation: generation, resumed: resumed, settings: settings, events: events,
                                  progress: existing?.outputs ?? [:]) { progress in
            try write(.intent, progress, existing?.waitingSince, nil)
        }
        let outcome: StepOutcome
        do {
            outcome = try step.body(context)
        } catch let error as AWSError {
            ProvisioningMetrics.stepFailed(step: step.name, code: error.code)
            throw try report(error, step: step.name)
        } catch let error as RetryableStepError {
            ProvisioningMetrics.stepFailed(step: step.name, code: nil)
            try events.add(job: job, type: "retry", step: step.name, message: "\(step.name): \(error.message); retrying with backoff")
            throw JobError("\(step.name): \(error.message)", retryable: true)
        } catch let error as StepFailure {
            ProvisioningMetrics.stepFailed(step: step.name, code: nil)
            try events.add(job: job, type: "step.failed", step: step.name, message: "\(step.name) failed: \(error.message)")
            throw JobError(error.message, retryable: false)
        } catch let error as JobInterrupted {
            throw error
        } catch {
            // Database hiccups and the like: the queue retries with backoff; say so.
            let retryable = (error as? ClassifiedError)?.isRetryable ?? true
            try? events.add(job: job, type: retryable ? "retry" : "step.failed", step: step.name, message: "\(step.name): \(error)")
            throw error
        }

        switch outcome {
        case .done(let produced):
            CrashPoint.hit(.afterCall, step: step.name, settings: settings)
            try write(.done, produced, nil,
                      EventTarget.Pending(target: events, type: "step.finished", message: "\(step.name) done", data: produced))
            CrashPoint.hit(.afterCheckpoint, step: step.name, settings: settings)
            return outcome
        case .wait(_, let reason):
            let since = existing?.waitingSince ?? Date()
            let waited = Date().timeIntervalSince(since)
            if waited > step.waitDeadline ?? settings.stepWaitDeadline {
                let message = "\(step.name): gave up after \(Int(waited)) s waiting for \(reason)"
                // Forget the wait, so that a later job (a delete run again) gets a full deadline.
                try write(.intent, existing?.outputs ?? [:], nil,
                          EventTarget.Pending(target: events, type: "step.failed", message: message, data: [:]))
                throw JobError(message, retryable: false)
            }
            try write(.intent, existing?.outputs ?? [:], since,
                      firstLook ? EventTarget.Pending(target: events, type: "step.waiting", message: "\(step.name): waiting for \(reason)",
                                                      data: [:]) : nil)
            return outcome
        }
    }

    /// Turns an AWS error into the job's outcome, with an event that says what happened.
    private func report(_ error: AWSError, step: String) throws -> Error {
        var data: StepOutputs = ["aws_code": error.code, "operation": "\(error.service.rawValue):\(error.operation)"]
        if let requestId = error.requestId { data["request_id"] = requestId }
        if error.isRetryable {
            try events.add(job: job, type: "retry", step: step, message: "\(step): \(error.code) from AWS, retrying with backoff: \(error.message)",
                           data: data)
            return JobError("\(step): \(error)", retryable: true)
        }
        let message: String
        switch error.classification {
        case .auth:
            message = "\(step): AWS refused the request (\(error.code)): \(error.message). Check the tenant's access key and that its IAM policy grants everything `berth iam-policy` prints"
        default:
            message = "\(step): \(error)"
        }
        try events.add(job: job, type: "step.failed", step: step, message: message, data: data)
        return JobError(message, retryable: false)
    }
}
