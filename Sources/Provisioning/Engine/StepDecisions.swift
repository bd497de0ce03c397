import AWS
import Foundation
import Queue

/// The step engine's decisions, apart from its reads and writes so that they can be tested
/// without a database: what a checkpoint means for a step, when a wait gives up, and how a
/// failure ends the attempt. `StepEngine` carries them out.
enum StepDecisions {
    /// What to do with a step before its body runs.
    struct Start: Equatable {
        /// A `done` checkpoint: merge its outputs and go on.
        var skip: Bool
        /// A create step without a checkpoint: write the intent (with the token) first, so that
        /// "no checkpoint" always means "nothing was made".
        var writeIntent: Bool
        /// An earlier attempt got this far: the body adopts before it creates.
        var resumed: Bool
        var generation: Int
        /// The `step.started` message; nil while the step waits (it was said at the first look).
        var announce: String?
    }

    static func start(_ step: Step, existing: Checkpoint?, attempt: Int) -> Start {
        if let existing, existing.state == .done {
            return Start(skip: true, writeIntent: false, resumed: true, generation: existing.generation, announce: nil)
        }
        let resumed = existing != nil
        let announce = existing?.waitingSince != nil ? nil
            : resumed ? "resuming \(step.name) (attempt \(attempt))" : "starting \(step.name)"
        return Start(skip: false, writeIntent: step.kind == .create && existing == nil, resumed: resumed,
                     generation: existing?.generation ?? 1, announce: announce)
    }

    /// After the body answered `wait`.
    enum Wait: Equatable {
        /// Keep waiting, since `since`; `announce` is the `step.waiting` message at the first look.
        case snooze(since: Date, announce: String?)
        /// The deadline passed: the plan fails with this message.
        case giveUp(String)
    }

    static func wait(_ step: Step, reason: String, existing: Checkpoint?, now: Date, defaultDeadline: Double) -> Wait {
        let since = existing?.waitingSince ?? now
        let waited = now.timeIntervalSince(since)
        if waited > step.waitDeadline ?? defaultDeadline {
            return .giveUp("\(step.name): gave up after \(Int(waited)) s waiting for \(reason)")
        }
        return .snooze(since: since, announce: existing?.waitingSince == nil ? "\(step.name): waiting for \(reason)" : nil)
    }

    /// How a failed body ends the attempt: the event that says so, and what the job throws.
    struct Failure {
        struct Event: Equatable {
            var type: String
            var message: String
            var data: StepOutputs = [:]
        }

        var event: Event?
        /// Written if it can be: the failure may be the database's own.
        var eventBestEffort = false
        var error: Error
    }

    static func failure(_ error: Error, step: String) -> Failure {
        switch error {
        case let error as AWSError:
            var data: StepOutputs = ["aws_code": error.code, "operation": "\(error.service.rawValue):\(error.operation)"]
            if let requestId = error.requestId { data["request_id"] = requestId }
            if error.isRetryable {
                return Failure(event: .init(type: "retry", message: "\(step): \(error.code) from AWS, retrying with backoff: \(error.message)",
                                            data: data),
                               error: JobError("\(step): \(error)", retryable: true))
            }
            let message = error.classification == .auth
                ? "\(step): AWS refused the request (\(error.code)): \(error.message). Check the tenant's access key and that its IAM policy grants everything `berth iam-policy` prints"
                : "\(step): \(error)"
            return Failure(event: .init(type: "step.failed", message: message, data: data), error: JobError(message, retryable: false))
        case let error as RetryableStepError:
            return Failure(event: .init(type: "retry", message: "\(step): \(error.message); retrying with backoff"),
                           error: JobError("\(step): \(error.message)", retryable: true))
        case let error as StepFailure:
            return Failure(event: .init(type: "step.failed", message: "\(step) failed: \(error.message)"),
                           error: JobError(error.message, retryable: false))
        case is JobInterrupted:
            return Failure(event: nil, error: error)
        default:
            // Database hiccups and the like: the queue retries with backoff; say so.
            let retryable = (error as? ClassifiedError)?.isRetryable ?? true
            return Failure(event: .init(type: retryable ? "retry" : "step.failed", message: "\(step): \(error)"), eventBestEffort: true,
                           error: error)
        }
    }
}
