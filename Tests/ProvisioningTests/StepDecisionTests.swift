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
        #expect(StepDecisions.wait(Self.check, reason: "tasks", existing: nil, now: now, deadline: 900)
                == .snooze(since: now, announce: "vpc_dns: waiting for tasks"))
        let since = now.addingTimeInterval(-100)
        #expect(StepDecisions.wait(Self.check, reason: "tasks", existing: Self.checkpoint(.intent, waitingSince: since), now: now,
                                   deadline: 900) == .snooze(since: since, announce: nil))
    }

    /// The deadline counts from the first look: the settings' default, or the step's own.
    @Test func aWaitGivesUpAfterItsDeadline() {
        let now = Date()
        let waiting = Self.checkpoint(.intent, waitingSince: now.addingTimeInterval(-901))
        #expect(StepDecisions.wait(Self.check, reason: "tasks", existing: waiting, now: now, deadline: 900)
                == .giveUp("vpc_dns: gave up after 901 s waiting for tasks"))
        #expect(StepDecisions.wait(Self.patient, reason: "the network", existing: waiting, now: now, deadline: 1200)
                == .snooze(since: waiting.waitingSince!, announce: nil))
        let longer = Self.checkpoint(.intent, waitingSince: now.addingTimeInterval(-1201))
        #expect(StepDecisions.wait(Self.patient, reason: "the network", existing: longer, now: now, deadline: 1200)
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
        let failure = StepDecisions.failure(Self.aws("InvalidParameterValue", status: 400), step: "vpc")
        #expect(failure.event?.type == "step.failed" && failure.event?.data["aws_code"] == "InvalidParameterValue")
        #expect(Self.retryable(failure) == false)
    }

    /// A quota fails at once, naming the quota, the region and how to raise it.
    @Test func aQuotaFailsNamingItAndHowToRaiseIt() {
        let error = AWSError(service: .ec2, operation: "CreateVpc", httpStatus: 400, code: "VpcLimitExceeded",
                             message: "The maximum number of VPCs has been reached.", requestId: "r-1")
        let failure = StepDecisions.failure(error, step: "vpc", region: "eu-west-2")
        let message = failure.event?.message ?? ""
        #expect(failure.event?.type == "step.failed" && Self.retryable(failure) == false)
        #expect(message.hasPrefix("vpc: the AWS quota VPCs per Region (L-F678F1CE) is used up in eu-west-2 (VpcLimitExceeded: The maximum"), "\(message)")
        #expect(message.contains("aws service-quotas request-service-quota-increase --region eu-west-2 --service-code vpc --quota-code L-F678F1CE"))
        #expect(failure.event?.data["quota_code"] == "L-F678F1CE" && failure.event?.data["aws_code"] == "VpcLimitExceeded")
        let stepFailure = StepDecisions.failure(StepFailure.quota(.fargateOnDemandVCPU, region: "us-east-2", detail: "RunTask: no"),
                                                step: "worker_tasks")
        #expect(stepFailure.event?.message.contains("Fargate On-Demand vCPU resource count (L-3032A538) is used up in us-east-2") == true)
        #expect(stepFailure.event?.data["quota_code"] == "L-3032A538")
    }

    static let settings = ProvisioningSettings()

    /// "Not found" for an id this plan made means "not visible yet": the step waits, for the
    /// visibility deadline; for an id it did not make, it is an answer like any other.
    @Test func notFoundForAKnownIdWaitsForItToShow() throws {
        let error = AWSError(service: .ec2, operation: "ModifyVpcAttribute", httpStatus: 400, code: "InvalidVpcID.NotFound",
                             message: "The vpc ID 'vpc-0abc1' does not exist", requestId: "r-1")
        let pending = try #require(StepDecisions.pending(error, step: "vpc_dns", known: ["vpc-0abc1", "subnet-1"], settings: Self.settings))
        #expect(pending.reason.hasPrefix("vpc-0abc1 to be visible") && pending.deadline == 300 && pending.retry == nil)
        #expect(StepDecisions.pending(error, step: "vpc_dns", known: ["vpc-other"], settings: Self.settings) == nil)
        let noIds = AWSError(service: .ecs, operation: "DescribeClusters", httpStatus: 400, code: "ClusterNotFoundException",
                             message: "Cluster not found.", requestId: nil)
        #expect(StepDecisions.pending(noIds, step: "x", known: [], settings: Self.settings) == nil)
    }

    /// A new role not usable yet: wait up to the propagation deadline, a `retry` event naming it.
    @Test func propagationWaitsWithARetryEventNamingIt() throws {
        let error = AWSError(service: .ecs, operation: "CreateCluster", httpStatus: 400, code: "InvalidParameterException",
                             message: "Unable to assume the service linked role. Please verify that the ECS service linked role exists.",
                             requestId: "r-2")
        let pending = try #require(StepDecisions.pending(error, step: "ecs_cluster", known: [], settings: Self.settings))
        #expect(pending.deadline == 120)
        #expect(pending.retry?.type == "retry")
        #expect(pending.retry?.message.contains("the ECS service-linked role is not usable yet") == true)
        #expect(pending.retry?.data["cause"] == "propagation" && pending.retry?.data["aws_code"] == "InvalidParameterException")
    }

    /// Capacity: wait to the step's deadline; a quota or an invalid request is not pending.
    @Test func capacityWaitsToTheStepsDeadline() throws {
        let capacity = AWSError(service: .ec2, operation: "RunInstances", httpStatus: 500, code: "InsufficientInstanceCapacity",
                                message: "We currently do not have sufficient m6i.large capacity in the Availability Zone you requested (us-east-2a).",
                                requestId: nil)
        let pending = try #require(StepDecisions.pending(capacity, step: "scheduler_instance", known: [], settings: Self.settings))
        #expect(pending.deadline == nil && pending.retry?.data["cause"] == "capacity")
        #expect(StepDecisions.pending(Self.aws("VpcLimitExceeded", status: 400), step: "vpc", known: [], settings: Self.settings) == nil)
        #expect(StepDecisions.pending(StepFailure("x"), step: "vpc", known: [], settings: Self.settings) == nil)
    }

    /// Looks thin out while a step is pending: the poll interval, then half the time waited, at most 15 s.
    @Test func pendingLooksBackOff() {
        #expect(StepDecisions.pendingSnooze(waited: 0, poll: 2) == 2)
        #expect(StepDecisions.pendingSnooze(waited: 10, poll: 2) == 5)
        #expect(StepDecisions.pendingSnooze(waited: 100, poll: 2) == 15)
        #expect(StepDecisions.pendingSnooze(waited: 0, poll: 0.05, atLeast: 1) == 1)
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
