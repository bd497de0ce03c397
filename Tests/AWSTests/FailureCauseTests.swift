import Foundation
import Testing
@testable import AWS

/// The causes provisioning handles specially, read from AWS's own wording (quoted in docs/aws.md).
@Suite struct FailureCauseTests {
    func error(_ service: AWSService, _ operation: String, _ code: String, _ message: String, status: Int = 400) -> AWSError {
        AWSError(service: service, operation: operation, httpStatus: status, code: code, message: message)
    }

    @Test func notFoundNamesTheIds() {
        let e = error(.ec2, "DescribeVpcs", "InvalidVpcID.NotFound", "The vpc ID 'vpc-0a1b2c3d4e5f60718' does not exist")
        #expect(e.cause == .notFound(ids: ["vpc-0a1b2c3d4e5f60718"]))
        let group = error(.ec2, "AuthorizeSecurityGroupIngress", "InvalidGroup.NotFound",
                          "The security group '{'sg-12345678'}' does not exist")
        #expect(group.cause == .notFound(ids: ["sg-12345678"]))
        let instances = error(.ec2, "TerminateInstances", "InvalidInstanceID.NotFound",
                              "The instance IDs 'i-0abc, i-0def' do not exist; not i-xyz nor vpc-")
        #expect(instances.cause == .notFound(ids: ["i-0abc", "i-0def"]))
        #expect(error(.iam, "GetRole", "NoSuchEntity", "The role with name x cannot be found.").cause == .notFound(ids: []))
    }

    @Test func propagationInEachService() {
        let slr = error(.ecs, "CreateCluster", "InvalidParameterException",
                        "Unable to assume the service linked role. Please verify that the ECS service linked role exists.")
        #expect(slr.cause == .propagation(.serviceLinkedRole))
        #expect(slr.classification == .invalidInput) // what the call alone says; the cause says why
        let role = error(.ecs, "RunTask", "ClientException",
                         "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/berth-acme-task-execution' that was "
                            + "provided for this task. Please verify that the role being passed has the proper trust relationship "
                            + "and permissions and that your IAM user has permissions to pass this role.")
        #expect(role.cause == .propagation(.taskRole("arn:aws:iam::123456789012:role/berth-acme-task-execution")))
        let byName = error(.ec2, "RunInstances", "InvalidParameterValue",
                           "Value (berth-acme-instance) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
        #expect(byName.cause == .propagation(.instanceProfile("berth-acme-instance")))
        let byArn = error(.ec2, "RunInstances", "InvalidParameterValue",
                          "Value (arn:aws:iam::123456789012:instance-profile/p) for parameter iamInstanceProfile.arn is invalid. "
                            + "Invalid IAM Instance Profile ARN")
        #expect(byArn.cause == .propagation(.instanceProfile("arn:aws:iam::123456789012:instance-profile/p")))
        // Another invalid value is not propagation.
        #expect(error(.ec2, "RunInstances", "InvalidParameterValue", "Value (x) for parameter instanceType is invalid.").cause == nil)
        #expect("\(slr.cause!)".contains("propagate"))
    }

    @Test func quotasAreNamedWithHowToRaiseThem() {
        let vpcs = error(.ec2, "CreateVpc", "VpcLimitExceeded", "The maximum number of VPCs has been reached.")
        #expect(vpcs.cause == .quota(.vpcsPerRegion))
        #expect(vpcs.classification == .other)
        #expect(error(.ec2, "CreateInternetGateway", "InternetGatewayLimitExceeded",
                      "The maximum number of internet gateways has been reached.").cause == .quota(.internetGatewaysPerRegion))
        let vcpu = error(.ec2, "RunInstances", "VcpuLimitExceeded",
                         "You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance bucket "
                            + "that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request "
                            + "to request an adjustment to this limit.")
        #expect(vcpu.cause(instanceType: "m6i.xlarge") == .quota(.onDemandStandard))
        #expect(vcpu.cause(instanceType: "g5.xlarge") == .quota(.onDemandGAndVT))
        #expect(vcpu.cause(instanceType: "p3.2xlarge") == .quota(.onDemandP))
        guard case .quota(let unnamed)? = vcpu.cause else { Issue.record("no quota"); return }
        #expect(unnamed.quotaCode == nil)
        let how = AWSQuota.vpcsPerRegion.howToRaise(region: "us-east-2")
        #expect(how.contains("--service-code vpc --quota-code L-F678F1CE"))
        #expect(how.contains("--region us-east-2"))
        #expect(AWSQuota(name: "X").howToRaise(region: "eu-west-2").contains("Service Quotas console"))
        // Throttling is not a quota, though its code says LimitExceeded.
        #expect(error(.ec2, "DescribeVpcs", "RequestLimitExceeded", "Request limit exceeded.", status: 503).cause == nil)
        guard case .quota(let iam)? = error(.iam, "CreateRole", "LimitExceeded", "Cannot exceed quota for RolesPerAccount: 1000").cause
        else { Issue.record("IAM LimitExceeded is a quota"); return }
        #expect(iam.name.contains("RolesPerAccount"))
    }

    @Test func vcpuBucketsByFamily() {
        #expect(AWSQuota.vcpuQuota(instanceType: "t3.micro", spot: false) == .onDemandStandard)
        #expect(AWSQuota.vcpuQuota(instanceType: "t3.micro", spot: true) == .spotStandard)
        #expect(AWSQuota.vcpuQuota(instanceType: "vt1.3xlarge", spot: false) == .onDemandGAndVT)
        #expect(AWSQuota.vcpuQuota(instanceType: "g4dn.xlarge", spot: true) == .spotGAndVT)
        for own in ["inf2.xlarge", "dl1.24xlarge", "trn1.2xlarge", "hpc7a.96xlarge", "x2idn.16xlarge", "f1.2xlarge", nil] {
            #expect(AWSQuota.vcpuQuota(instanceType: own, spot: false) == nil)
        }
    }

    @Test func capacityByTypeAndZone() {
        let insufficient = error(.ec2, "RunInstances", "InsufficientInstanceCapacity",
                                 "We currently do not have sufficient m5.large capacity in the Availability Zone you requested "
                                    + "(us-east-2a). Our system will be working on provisioning additional capacity. You can currently "
                                    + "get m5.large capacity by not specifying an Availability Zone in your request or choosing us-east-2b.")
        #expect(insufficient.cause == .capacity(.instanceType("m5.large", zone: "us-east-2a")))
        #expect(error(.ec2, "RunInstances", "InsufficientInstanceCapacity",
                      "We currently do not have sufficient capacity in the Availability Zone you requested.").cause
                == .capacity(.instanceType(nil, zone: nil)))
        let unsupported = error(.ec2, "RunInstances", "Unsupported",
                                "Your requested instance type (m5.large) is not supported in your requested Availability Zone "
                                    + "(us-east-1e). Please retry your request by not specifying an Availability Zone or choosing us-east-1a.")
        #expect(unsupported.cause == .capacity(.unsupportedInZone("m5.large", zone: "us-east-1e")))
        #expect(error(.ec2, "RunInstances", "Unsupported", "The requested configuration is currently not supported.").cause == nil)
    }

    @Test func runTaskFailures() {
        let capacity = ECSFailure(arn: nil, reason: "Capacity is unavailable at this time. Please try again later or in a different "
                                                   + "availability zone", detail: nil)
        #expect(capacity.cause() == .capacity(.fargate))
        let quota = ECSFailure(arn: nil, reason: "You’ve reached the limit on the number of vCPUs you can run concurrently", detail: nil)
        #expect(quota.cause() == .quota(.fargateOnDemandVCPU))
        #expect(quota.cause(spot: true) == .quota(.fargateSpotVCPU))
        #expect(ECSFailure(arn: nil, reason: "MISSING", detail: nil).cause() == nil)
    }
}
