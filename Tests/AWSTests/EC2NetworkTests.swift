import AWS
import Testing

/// VPC, subnets, internet gateway, route tables, security groups against the emulator.
@Suite struct EC2NetworkTests {
    let tags = [Tag("berth:managed", "true"), Tag("berth:tenant", "t1"), Tag("Name", "berth-test")]

    @Test func networkLifecycle() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        let tags = self.tags
        try await onThread {
            let zones = try client.describeAvailabilityZones()
            #expect(zones.count >= 3)
            #expect(zones.allSatisfy { $0.regionName == "us-east-2" && $0.zoneName.hasPrefix("us-east-2") })

            let vpc = try client.createVpc(cidrBlock: "10.20.0.0/16", tags: tags)
            #expect(vpc.vpcId.hasPrefix("vpc-"))
            #expect(vpc.tags[tag: "berth:tenant"] == "t1")
            try client.modifyVpcAttribute(vpcId: vpc.vpcId, enableDnsHostnames: true)
            let found = try client.describeVpcs(filters: [.tag("berth:tenant", "t1")])
            #expect(found.map(\.vpcId) == [vpc.vpcId])

            let subnet = try client.createSubnet(vpcId: vpc.vpcId, cidrBlock: "10.20.1.0/24",
                                                 availabilityZone: zones[0].zoneName, tags: tags)
            #expect(subnet.availabilityZone == zones[0].zoneName)
            try client.modifySubnetAttribute(subnetId: subnet.subnetId, mapPublicIpOnLaunch: true)
            #expect(try client.describeSubnets(ids: [subnet.subnetId]).first?.mapPublicIpOnLaunch == true)

            let igw = try client.createInternetGateway(tags: tags)
            try client.attachInternetGateway(id: igw.internetGatewayId, vpcId: vpc.vpcId)
            let attached = try client.describeInternetGateways(filters: [EC2Filter("attachment.vpc-id", vpc.vpcId)])
            #expect(attached.first?.attachments.first?.vpcId == vpc.vpcId)

            let table = try client.createRouteTable(vpcId: vpc.vpcId, tags: tags)
            try client.createRoute(routeTableId: table.routeTableId, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.internetGatewayId)
            let association = try client.associateRouteTable(routeTableId: table.routeTableId, subnetId: subnet.subnetId)
            #expect(association.hasPrefix("rtbassoc-"))
            let described = try #require(try client.describeRouteTables(ids: [table.routeTableId]).first)
            #expect(described.routes.contains { $0.destinationCidrBlock == "0.0.0.0/0" && $0.gatewayId == igw.internetGatewayId })
            #expect(described.associations.contains { $0.subnetId == subnet.subnetId })

            let group = try client.createSecurityGroup(name: "berth-c1", description: "cluster c1", vpcId: vpc.vpcId, tags: tags)
            let rule = IpPermission(fromPort: 8786, toPort: 8787, cidrs: ["10.20.0.0/16"], description: "dask")
            try client.authorizeSecurityGroupIngress(groupId: group, permissions: [rule])
            let duplicate = #expect(throws: AWSError.self) { try client.authorizeSecurityGroupIngress(groupId: group, permissions: [rule]) }
            #expect(duplicate?.classification == .alreadyExists)
            let sg = try #require(try client.describeSecurityGroups(ids: [group]).first)
            #expect(sg.ingress.contains { $0.fromPort == 8786 && $0.toPort == 8787 && $0.cidrs == ["10.20.0.0/16"] })
            #expect(sg.tags[tag: "Name"] == "berth-test")
            try client.createTags(resourceIds: [group], tags: [Tag("berth:cluster", "c1")])
            #expect(try client.describeSecurityGroups(filters: [.tag("berth:cluster", "c1")]).map(\.groupId) == [group])
            try client.revokeSecurityGroupIngress(groupId: group, permissions: [rule])

            // Teardown in dependency order; the VPC refuses to go while things hang on it.
            let early = #expect(throws: AWSError.self) { try client.deleteVpc(id: vpc.vpcId) }
            #expect(early?.classification == .dependencyViolation)
            try client.deleteSecurityGroup(id: group)
            try client.disassociateRouteTable(associationId: association)
            try client.deleteRouteTable(id: table.routeTableId)
            try client.detachInternetGateway(id: igw.internetGatewayId, vpcId: vpc.vpcId)
            try client.deleteInternetGateway(id: igw.internetGatewayId)
            try client.deleteSubnet(id: subnet.subnetId)
            try client.deleteVpc(id: vpc.vpcId)

            let gone = #expect(throws: AWSError.self) { try client.deleteVpc(id: vpc.vpcId) }
            #expect(gone?.classification == .notFound)
            #expect(gone?.code == "InvalidVpcID.NotFound")
            #expect(gone?.requestId?.isEmpty == false)
            let sgGone = #expect(throws: AWSError.self) { try client.deleteSecurityGroup(id: group) }
            #expect(sgGone?.classification == .notFound)
        }
    }

    @Test func pagingFollowsNextToken() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread {
            for i in 0..<5 { _ = try client.createVpc(cidrBlock: "10.\(30 + i).0.0/16", tags: [Tag("page", "yes")]) }
            let all = try client.describeVpcs(filters: [.tag("page", "yes")])
            let paged = try client.describeVpcs(filters: [.tag("page", "yes")], pageSize: 2)
            #expect(all.count == 5)
            #expect(Set(paged.map(\.vpcId)) == Set(all.map(\.vpcId)))
            #expect(paged.count == 5)

            let types = try client.describeInstanceTypes()
            let pagedTypes = try client.describeInstanceTypes(pageSize: 50)
            #expect(types.count > 50)
            #expect(Set(pagedTypes.map(\.instanceType)) == Set(types.map(\.instanceType)))
        }
    }

    @Test func invalidInputIsClassified() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        let error = await #expect(throws: AWSError.self) { try await onThread { try client.createVpc(cidrBlock: "not-a-cidr") } }
        #expect(error?.classification == .invalidInput)
        #expect(error?.service == .ec2)
        #expect(error?.operation == "CreateVpc")
    }
}
