import AWS
import Foundation
import Testing

/// Berth's AWS client reads the emulator's realism behaviours as AWS's own answers: the cause
/// helpers recognise each one (the behaviours themselves, next to moto's, are tested in
/// scripts/emulator/tests/test_realism.py). Windows are long here: nothing waits them out.
@Suite struct RealismTests {
    let long = ["min_seconds": 60, "max_seconds": 60]

    @Test func aNewIdIsNotFoundYet() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try emulator.setRealism(for: client, ["consistency": long])
        try await onThread { () throws in
            let vpc = try client.createVpc(cidrBlock: "10.60.0.0/16")
            let error = #expect(throws: AWSError.self) { try client.modifyVpcAttribute(vpcId: vpc.vpcId, enableDnsHostnames: true) }
            #expect(error?.code == "InvalidVpcID.NotFound")
            #expect(error?.cause == .notFound(ids: [vpc.vpcId]))
            #expect(try client.describeVpcs(filters: [EC2Filter("cidr", "10.60.0.0/16")]).isEmpty)
        }
    }

    @Test func theServiceLinkedRoleIsPropagating() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try emulator.setRealism(for: client, ["propagation": long])
        try await onThread { () throws in
            _ = try client.createServiceLinkedRole(awsServiceName: "ecs.amazonaws.com")
            let error = #expect(throws: AWSError.self) { try client.createCluster(name: "c") }
            #expect(error?.cause == .propagation(.serviceLinkedRole))
        }
    }

    @Test func quotasAndCapacity() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread { () throws in
            let subnet = try #require(try client.describeSubnets().first { $0.availabilityZone == "us-east-2a" })
            try emulator.setRealism(for: client, ["quotas": ["vpcs": 1],
                                                  "capacity": ["instances": [["instance_type": "t3.micro", "zone": "us-east-2a"],
                                                                             ["instance_type": "m5.large", "zone": "us-east-2a",
                                                                              "code": "Unsupported"]]]])
            let vpcs = #expect(throws: AWSError.self) { try client.createVpc(cidrBlock: "10.61.0.0/16") }
            #expect(vpcs?.cause == .quota(.vpcsPerRegion))
            let launch = RunInstancesRequest(imageId: "ami-03cf127a", instanceType: "t3.micro", subnetId: subnet.subnetId)
            let capacity = #expect(throws: AWSError.self) { try client.runInstances(launch) }
            #expect(capacity?.httpStatus == 500)
            #expect(capacity?.cause == .capacity(.instanceType("t3.micro", zone: "us-east-2a")))
            var other = launch
            other.instanceType = "m5.large"
            let unsupported = #expect(throws: AWSError.self) { try client.runInstances(other) }
            #expect(unsupported?.cause == .capacity(.unsupportedInZone("m5.large", zone: "us-east-2a")))
            #expect(try client.usableAvailabilityZones(offering: "m5.large").map(\.zoneName) == ["us-east-2b", "us-east-2c"])
        }
    }

    @Test func fargateFailuresComeInTheAnswer() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread { () throws in
            let request = try ECSTests.fargateTask(client, cluster: "f").request
            try emulator.setRealism(for: client, ["quotas": ["fargate_vcpus": 0.5]])
            let quota = try client.runTask(request)
            #expect(quota.tasks.isEmpty)
            #expect(quota.failures.first?.cause() == .quota(.fargateOnDemandVCPU))
            try emulator.setRealism(for: client, ["quotas": false, "capacity": ["fargate": [["zone": "us-east-2a"]]]])
            #expect(try client.runTask(request).failures.first?.cause() == .capacity(.fargate))
        }
    }

    @Test func onlyAvailabilityZonesAreUsable() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client(region: "us-east-1")
        try emulator.setRealism(for: client, ["local_zones": true])
        try await onThread { () throws in
            let all = try client.describeAvailabilityZones()
            #expect(all.contains { $0.zoneName == "us-east-1-bos-1a" && $0.zoneType == "local-zone" && $0.optInStatus == "opted-in" })
            #expect(all.map(\.zoneName).sorted().first == "us-east-1-bos-1a")
            let usable = try client.usableAvailabilityZones()
            #expect(usable.count == 6)
            #expect(usable.allSatisfy { $0.isAvailabilityZone && $0.optInStatus == "opt-in-not-required" })
            #expect(usable.first?.zoneName == "us-east-1a")
        }
    }

    @Test func aLostAnswerIsAnUnknownOutcome() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try emulator.setRealism(for: client, ["lost_answers": ["rate": 1, "actions": ["CreateInternetGateway"]]])
        try await onThread { () throws in
            let error = #expect(throws: AWSError.self) { try client.createInternetGateway(tags: [Tag("t", "lost")]) }
            #expect(error?.classification == .outcomeUnknown)
            #expect(try client.describeInternetGateways(filters: [EC2Filter("tag:t", "lost")]).count == 1)
        }
    }

    @Test func aStoppedTaskHoldsItsSecurityGroup() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try emulator.setRealism(for: client, ["eni_linger": long])
        try await onThread { () throws in
            let fargate = try ECSTests.fargateTask(client, cluster: "l")
            let task = try #require(try client.runTask(fargate.request).tasks.first)
            _ = try client.stopTask(cluster: "l", task: task.taskArn, reason: "test")
            let error = #expect(throws: AWSError.self) { try client.deleteSecurityGroup(id: fargate.group) }
            #expect(error?.classification == .dependencyViolation)
        }
    }
}
