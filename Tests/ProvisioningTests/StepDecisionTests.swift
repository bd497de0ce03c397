import AWS
import Foundation
@testable import Provisioning
import Queue
import Testing

/// The step engine's decisions, without a database: what a checkpoint means for a step, when
/// a wait gives up, and how each kind of failure ends the attempt.
@Suite struct StepDecisionTests {
    static let create = Step("vpc", .create) { _ in .done([:]) }
    static let check = Step("vpc_dns", .check) { _ in .done([:]) }
    static let patient = Step("network", .check, waitDeadline: 1200) { _ in .done([:]) }

    static func checkpoint(_ state: Checkpoint.State, generation: Int = 1, waitingSince: Date? = nil) -> Checkpoint {
        Checkpoint(state: state, generation: generation, clientToken: "t", outputs: ["vpc_id": "vpc-1"], waitingSince: waitingSince)
    }

    @Test func aDoneStepIsSkipped() {
        let start = StepDecisions.start(Self.create, existing: Self.checkpoint(.done, generation: 2), attempt: 3)
        #expect(start.skip && !start.writeIntent && start.announce == nil)
    }

    @Test func aNewCreateWritesItsIntentFirstAndACheckDoesNot() {
        let create = StepDecisions.start(Self.create, existing: nil, attempt: 1)
        #expect(create == .init(skip: false, writeIntent: true, resumed: false, generation: 1, announce: "starting vpc"))
        let check = StepDecisions.start(Self.check, existing: nil, attempt: 1)
        #expect(check == .init(skip: false, writeIntent: false, resumed: false, generation: 1, announce: "starting vpc_dns"))
    }

    /// An intent from an earlier attempt: no second intent, the body adopts (resumed), the
    /// generation (part of the client token) is the intent's, and the event says so.
    @Test func anIntentResumesWithItsGeneration() {
        let start = StepDecisions.start(Self.create, existing: Self.checkpoint(.intent, generation: 2), attempt: 4)
        #expect(start == .init(skip: false, writeIntent: false, resumed: true, generation: 2, announce: "resuming vpc (attempt 4)"))
    }

    /// A step that is waiting was announced at its first look: no `step.started` every look.
    @Test func aWaitingStepIsNotAnnouncedAgain() {
        let start = StepDecisions.start(Self.check, existing: Self.checkpoint(.intent, waitingSince: Date()), attempt: 1)
        #expect(start.announce == nil && start.resumed)
    }

    @Test func aWaitSaysSoOnceAndKeepsItsStart() {
        let now = Date()
        #expect(StepDecisions.wait(Self.check, reason: "tasks", existing: nil, now: now, defaultDeadline: 900)
                == .snooze(since: now, announce: "vpc_dns: waiting for tasks"))
        let since = now.addingTimeInterval(-100)
        #expect(StepDecisions.wait(Self.check, reason: "tasks", existing: Self.checkpoint(.intent, waitingSince: since), now: now,
                                   defaultDeadline: 900) == .snooze(since: since, announce: nil))
    }

    /// The deadline counts from the first look: the settings' default, or the step's own.
    @Test func aWaitGivesUpAfterItsDeadline() {
        let now = Date()
        let waiting = Self.checkpoint(.intent, waitingSince: now.addingTimeInterval(-901))
        #expect(StepDecisions.wait(Self.check, reason: "tasks", existing: waiting, now: now, defaultDeadline: 900)
                == .giveUp("vpc_dns: gave up after 901 s waiting for tasks"))
        #expect(StepDecisions.wait(Self.patient, reason: "the network", existing: waiting, now: now, defaultDeadline: 900)
                == .snooze(since: waiting.waitingSince!, announce: nil))
        let longer = Self.checkpoint(.intent, waitingSince: now.addingTimeInterval(-1201))
        #expect(StepDecisions.wait(Self.patient, reason: "the network", existing: longer, now: now, defaultDeadline: 900)
                == .giveUp("network: gave up after 1201 s waiting for the network"))
    }

    static func aws(_ code: String, status: Int) -> AWSError {
        AWSError(service: .ec2, operation: "CreateVpc", httpStatus: status, code: code, message: "m", requestId: "r-1")
    }

    static func retryable(_ failure: StepDecisions.Failure) -> Bool? {
        (failure.error as? ClassifiedError)?.isRetryable
    }

    @Test func throttlingRetriesWithTheAWSContext() {
        let failure = StepDecisions.failure(Self.aws("Throttling", status: 400), step: "vpc")
        #expect(failure.event == .init(type: "retry", message: "vpc: Throttling from AWS, retrying with backoff: m",
                                       data: ["aws_code": "Throttling", "operation": "ec2:CreateVpc", "request_id": "r-1"]))
        #expect(Self.retryable(failure) == true && !failure.eventBestEffort)
    }

    @Test func anAuthErrorFailsNamingThePolicy() {
        let failure = StepDecisions.failure(Self.aws("UnauthorizedOperation", status: 403), step: "vpc")
        #expect(failure.event?.type == "step.failed")
        #expect(failure.event?.message.contains("AWS refused the request (UnauthorizedOperation)") == true)
        #expect(failure.event?.message.contains("berth iam-policy") == true)
        #expect(Self.retryable(failure) == false)
    }

    @Test func otherAWSErrorsFailAtOnce() {
        let failure = StepDecisions.failure(Self.aws("VpcLimitExceeded", status: 400), step: "vpc")
        #expect(failure.event?.type == "step.failed" && failure.event?.data["aws_code"] == "VpcLimitExceeded")
        #expect(Self.retryable(failure) == false)
    }

    @Test func stepFailuresFailAndRetryableStepErrorsRetry() {
        let failed = StepDecisions.failure(StepFailure("no image found"), step: "images")
        #expect(failed.event == .init(type: "step.failed", message: "images failed: no image found"))
        #expect(Self.retryable(failed) == false)
        let retried = StepDecisions.failure(RetryableStepError("ECS could not start 2 workers"), step: "worker_tasks")
        #expect(retried.event == .init(type: "retry", message: "worker_tasks: ECS could not start 2 workers; retrying with backoff"))
        #expect(Self.retryable(retried) == true)
    }

    /// An interrupted attempt (cancel, lost lease, shutdown) writes nothing: the queue decides.
    @Test func anInterruptionPassesWithoutAnEvent() {
        let failure = StepDecisions.failure(JobInterrupted(reason: .leaseLost), step: "vpc")
        #expect(failure.event == nil && (failure.error as? JobInterrupted)?.reason == .leaseLost)
    }

    /// Anything else (a database hiccup) is retried unless it says otherwise; its event is
    /// written if the database lets it.
    @Test func unknownErrorsRetryUnlessTheySayOtherwise() {
        struct Hiccup: Error {}
        let hiccup = StepDecisions.failure(Hiccup(), step: "vpc")
        #expect(hiccup.event?.type == "retry" && hiccup.eventBestEffort && hiccup.error is Hiccup)
        let final = StepDecisions.failure(JobError("broken", retryable: false), step: "vpc")
        #expect(final.event == .init(type: "step.failed", message: "vpc: broken"))
    }
}
