import AWS
import Testing

/// Images, instance types and offerings, run / describe / terminate.
@Suite struct EC2InstanceTests {
    @Test func catalogue() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread {
            let images = try client.describeImages(owners: ["amazon"])
            #expect(!images.isEmpty)
            #expect(images.allSatisfy { $0.imageId.hasPrefix("ami-") })
            let types = try client.describeInstanceTypes(types: ["g4dn.xlarge", "m5.large"])
            let g4 = try #require(types.first { $0.instanceType == "g4dn.xlarge" })
            #expect(g4.gpus == 1)
            #expect(g4.vCpus == 4)
            #expect(g4.memoryMiB == 16384)
            #expect(types.first { $0.instanceType == "m5.large" }?.gpus == 0)
            let offerings = try client.describeInstanceTypeOfferings(filters: [EC2Filter("instance-type", "m5.large")])
            #expect(offerings.contains { $0.location.hasPrefix("us-east-2") })
        }
    }

    @Test func runDescribeTerminate() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread {
            let image = try #require(try client.describeImages(owners: ["amazon"]).first)
            let vpc = try client.createVpc(cidrBlock: "10.1.0.0/16")
            let subnet = try client.createSubnet(vpcId: vpc.vpcId, cidrBlock: "10.1.1.0/24", availabilityZone: "us-east-2a")
            let group = try client.createSecurityGroup(name: "vm", description: "vm", vpcId: vpc.vpcId)
            let launched = try client.runInstances(RunInstancesRequest(
                imageId: image.imageId, instanceType: "m5.large", count: 2, subnetId: subnet.subnetId,
                securityGroupIds: [group], userData: "#!/bin/sh\necho hi", clientToken: "tok-\(vpc.vpcId)",
                tags: [Tag("berth:cluster", "c9")], spot: true))
            #expect(launched.count == 2)
            #expect(launched.allSatisfy { $0.subnetId == subnet.subnetId && $0.securityGroupIds == [group] })
            let described = try client.describeInstances(filters: [.tag("berth:cluster", "c9")])
            #expect(Set(described.map(\.instanceId)) == Set(launched.map(\.instanceId)))
            #expect(described.allSatisfy { $0.state == "running" || $0.state == "pending" })
            let changes = try client.terminateInstances(ids: launched.map(\.instanceId))
            #expect(changes.count == 2)
            let terminated = try client.describeInstances(ids: launched.map(\.instanceId))
            #expect(terminated.allSatisfy { $0.state == "terminated" || $0.state == "shutting-down" })
            let missing = #expect(throws: AWSError.self) { try client.describeInstances(ids: ["i-0123456789abcdef0"]) }
            #expect(missing?.classification == .notFound)
        }
    }
}
