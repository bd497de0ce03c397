import Foundation
import Testing
@testable import AWS

/// Which calls the client may send again, and what it reports when it does.
@Suite struct IdempotencyTests {
    @Test func createsThatAWSDoesNotDeduplicate() {
        for (service, action) in [(AWSService.ec2, "CreateVpc"), (.ec2, "CreateSubnet"), (.ec2, "CreateInternetGateway"),
                                  (.ec2, "CreateRouteTable"), (.ec2, "RunInstances"), (.ecs, "RunTask"),
                                  (.ecs, "RegisterTaskDefinition"), (.iam, "CreateAccessKey"), (.ec2, "AllocateAddress")] {
            #expect(AWSIdempotency.of(service, action: action, clientToken: false) == .nonIdempotent, "\(action)")
        }
        // A client token makes any of them safe to send again.
        #expect(AWSIdempotency.of(.ec2, action: "RunInstances", clientToken: true) == .idempotent)
    }

    @Test func everythingElseIsIdempotent() {
        for (service, action) in [(AWSService.ec2, "DescribeVpcs"), (.ec2, "DeleteVpc"), (.ec2, "ModifyVpcAttribute"),
                                  (.ec2, "CreateSecurityGroup"), (.ec2, "CreateTags"), (.ec2, "CreateRoute"),
                                  (.ec2, "AuthorizeSecurityGroupIngress"), (.ec2, "AssociateRouteTable"),
                                  (.ec2, "AttachInternetGateway"), (.ec2, "TerminateInstances"), (.ecs, "CreateCluster"),
                                  (.ecs, "StopTask"), (.iam, "CreateRole"), (.iam, "CreateInstanceProfile"),
                                  (.iam, "CreateServiceLinkedRole"), (.ecr, "CreateRepository"), (.logs, "CreateLogGroup"),
                                  (.sts, "GetCallerIdentity")] {
            #expect(AWSIdempotency.of(service, action: action, clientToken: false) == .idempotent, "\(action)")
        }
    }

    @Test func whichAnswersLeaveTheOutcomeUnknown() {
        #expect(AWSError.outcomeUnknown(httpStatus: 500, classification: .transient))
        #expect(AWSError.outcomeUnknown(httpStatus: 503, classification: .transient))
        #expect(!AWSError.outcomeUnknown(httpStatus: 503, classification: .throttled)) // EC2's RequestLimitExceeded
        #expect(!AWSError.outcomeUnknown(httpStatus: 400, classification: .invalidInput))
        #expect(!AWSError.outcomeUnknown(httpStatus: 429, classification: .throttled))
    }

    @Test func retryNoticeSaysWhatAndWhen() {
        let error = AWSError(service: .ec2, operation: "CreateVpc", httpStatus: nil, code: "Timeout", message: "m")
        let notice = AWSRetryNotice(service: .ec2, operation: "CreateVpc", region: "us-east-2", attempt: 1, maxAttempts: 3,
                                    error: error, delay: 0.42)
        #expect(notice.description == "retrying ec2:CreateVpc after Timeout (attempt 1 of 3) in 0.4 s")
    }

    @Test func defaultsWaitBrieflyInsideACall() {
        #expect(HTTPTimeouts().connect <= 3)
        #expect(HTTPTimeouts().total <= 20)
        // A timed-out attempt is not retried inside the call; a quick blip is.
        let policy = RetryPolicy()
        #expect(policy.maxElapsed <= HTTPTimeouts().total)
        #expect(policy.maxElapsed > HTTPTimeouts().connect * Double(policy.maxAttempts) + policy.maxBackoff * 2)
    }
}
