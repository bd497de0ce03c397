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

    /// `deadline`: seconds from the first look (the step's own, the settings' default, or a
    /// pending failure's).
    static func wait(_ step: Step, reason: String, existing: Checkpoint?, now: Date, deadline: Double) -> Wait {
        let since = existing?.waitingSince ?? now
        let waited = now.timeIntervalSince(since)
        if waited > deadline {
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

    static func failure(_ error: Error, step: String, region: String = "") -> Failure {
        switch error {
        case let error as AWSError:
            let data = awsData(error)
            if error.isRetryable {
                return Failure(event: .init(type: "retry", message: "\(step): \(error.code) from AWS, retrying with backoff: \(error.message)",
                                            data: data),
                               error: JobError("\(step): \(error)", retryable: true))
            }
            if case .quota(let quota) = error.cause {
                let message = "\(step): \(quotaMessage(quota, region: region, detail: "\(error.code): \(error.message)"))"
                return Failure(event: .init(type: "step.failed", message: message, data: data.merging(quotaData(quota)) { $1 }),
                               error: JobError(message, retryable: false))
            }
            let message = error.classification == .auth
                ? "\(step): AWS refused the request (\(error.code)): \(error.message). Check the tenant's access key and that its IAM policy grants everything `berth iam-policy` prints"
                : "\(step): \(error)"
            return Failure(event: .init(type: "step.failed", message: message, data: data), error: JobError(message, retryable: false))
        case let error as RetryableStepError:
            return Failure(event: .init(type: "retry", message: "\(step): \(error.message); retrying with backoff"),
                           error: JobError("\(step): \(error.message)", retryable: true))
        case let error as StepFailure:
            return Failure(event: .init(type: "step.failed", message: "\(step) failed: \(error.message)", data: error.data),
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

    /// The `data` of an event about an AWS error: its code, the call, and AWS's request id.
    static func awsData(_ error: AWSError) -> StepOutputs {
        var data: StepOutputs = ["aws_code": error.code, "operation": "\(error.service.rawValue):\(error.operation)"]
        if let requestId = error.requestId { data["request_id"] = requestId }
        return data
    }

    /// What to tell the user when an account quota refused a request: which quota, where, and
    /// how to raise it. Retrying cannot help until someone does.
    static func quotaMessage(_ quota: AWSQuota, region: String, detail: String) -> String {
        "the AWS quota \(quota) is used up in \(region) (\(detail)). To go on, \(quota.howToRaise(region: region)); then create the cluster again"
    }

    static func quotaData(_ quota: AWSQuota) -> StepOutputs {
        var data: StepOutputs = ["quota": quota.name]
        if let code = quota.quotaCode { data["quota_code"] = code }
        return data
    }

    /// When a failure means "AWS is not ready yet" rather than "failed": the step waits and
    /// looks again (`StepPending`), for a bounded time.
    /// - "not found" naming only ids this plan made or adopted (`known`): EC2 does not show a
    ///   new id to every call at once; waited for up to `settings.visibilityDeadline`.
    /// - a new IAM role, instance profile or the ECS service-linked role not usable yet: up to
    ///   `settings.propagationDeadline`, with a `retry` event naming it at every look.
    /// - no capacity now (Fargate, an instance type everywhere it was tried): up to the step's
    ///   deadline, with a `retry` event.
    static func pending(_ error: Error, step: String, known: Set<String>, settings: ProvisioningSettings) -> StepPending? {
        if let pending = error as? StepPending { return pending }
        guard let error = error as? AWSError, let cause = error.cause else { return nil }
        switch cause {
        case .notFound(let ids) where !ids.isEmpty && Set(ids).isSubset(of: known):
            return StepPending("\(ids.joined(separator: ", ")) to be visible (EC2 shows a new id to every call only after a while)",
                               deadline: settings.visibilityDeadline)
        case .propagation(let what):
            return StepPending("IAM to propagate (\(what))", deadline: settings.propagationDeadline,
                               retry: .init(type: "retry",
                                            message: "\(step): \(what) (\(error.code)); new IAM roles take seconds to minutes to propagate, retrying for up to \(Int(settings.propagationDeadline)) s",
                                            data: awsData(error).merging(["cause": "propagation"]) { $1 }))
        case .capacity(let what):
            return StepPending("capacity (\(what))", retry: .init(type: "retry", message: "\(step): \(what) (\(error.code)); retrying with backoff",
                                                        data: awsData(error).merging(["cause": "capacity"]) { $1 }))
        default:
            return nil
        }
    }

    /// How long a pending step snoozes before it looks again: the poll interval at first, then
    /// half the time it has waited so far (so looks thin out), at most 15 s.
    static func pendingSnooze(waited: Double, poll: Double, atLeast: Double? = nil) -> Double {
        max(atLeast ?? 0, min(max(poll, waited / 2), max(poll, 15)))
    }
}
