import AWS
import Testing

/// Where moto 5.2.1 differs from AWS in ways Berth depends on, the harness's proxy
/// behaves like AWS. Each test shows raw moto's behaviour next to the patched one; if
/// a raw-moto expectation starts failing after a moto upgrade, that patch may be dropped.
@Suite struct EmulatorPatchTests {
    /// The same account through the proxy and directly on moto.
    func clients(_ emulator: Emulator) -> (patched: AWSClient, raw: AWSClient)? {
        guard let raw = emulator.rawMoto else {
            TestEnvironment.missing("BERTH_MOTO_URL is not set (scripts/emulator/start exports it)")
            return nil
        }
        let patched = emulator.client()
        var direct = patched
        direct.endpoints = Endpoints(global: raw)
        return (patched, direct)
    }

    @Test func runInstancesClientTokenIsIdempotent() async throws {
        guard let emulator = Emulator.current(), let (patched, raw) = clients(emulator) else { return }
        try await onThread {
            let image = try #require(try patched.describeImages(owners: ["amazon"]).first).imageId
            let request = RunInstancesRequest(imageId: image, instanceType: "t3.micro", clientToken: "berth-c1-scheduler")
            let first = try patched.runInstances(request)
            let again = try patched.runInstances(request)
            #expect(first.map(\.instanceId) == again.map(\.instanceId))
            #expect(try patched.describeInstances().count == 1)

            var changed = request
            changed.instanceType = "t3.small"
            let mismatch = #expect(throws: AWSError.self) { try patched.runInstances(changed) }
            #expect(mismatch?.code == "IdempotentParameterMismatch")
            #expect(mismatch?.classification == .invalidInput)

            // Raw moto launches a second instance for the same token.
            let rawRequest = RunInstancesRequest(imageId: image, instanceType: "t3.micro", clientToken: "raw-token")
            #expect(try raw.runInstances(rawRequest).map(\.instanceId) != raw.runInstances(rawRequest).map(\.instanceId))
        }
    }

    @Test func runTaskClientTokenIsIdempotent() async throws {
        guard let emulator = Emulator.current(), let (patched, raw) = clients(emulator) else { return }
        try await onThread {
            _ = try patched.createCluster(name: "idem")
            let definition = try ECSTests.taskDefinition(patched)
            let net = try ECSTests.network(patched)
            let request = RunTaskRequest(cluster: "idem", taskDefinition: definition.taskDefinitionArn, launchType: "FARGATE",
                                         networkConfiguration: NetworkConfiguration(subnets: [net.subnet], securityGroups: [net.group],
                                                                                    assignPublicIp: true),
                                         clientToken: "berth-c1-worker-0")
            let first = try patched.runTask(request).tasks.map(\.taskArn)
            #expect(try patched.runTask(request).tasks.map(\.taskArn) == first)
            #expect(try patched.listTasks(cluster: "idem").count == 1)

            var rawRequest = request
            rawRequest.clientToken = "raw-token"
            #expect(try raw.runTask(rawRequest).tasks.map(\.taskArn) != raw.runTask(rawRequest).tasks.map(\.taskArn))
        }
    }

    @Test func fargateSpotCapacityProviderStrategy() async throws {
        guard let emulator = Emulator.current(), let (patched, raw) = clients(emulator) else { return }
        try await onThread {
            _ = try patched.createCluster(name: "spot", defaultStrategy: [CapacityProviderStrategyItem(capacityProvider: "FARGATE", weight: 1, base: 1)])
            let definition = try ECSTests.taskDefinition(patched)
            let net = try ECSTests.network(patched)
            let network = NetworkConfiguration(subnets: [net.subnet], securityGroups: [net.group], assignPublicIp: true)
            let spot = RunTaskRequest(cluster: "spot", taskDefinition: definition.taskDefinitionArn,
                                      capacityProviderStrategy: [CapacityProviderStrategyItem(capacityProvider: "FARGATE_SPOT", weight: 1)],
                                      networkConfiguration: network)
            let task = try #require(try patched.runTask(spot).tasks.first)
            #expect(task.capacityProviderName == "FARGATE_SPOT")
            #expect(task.launchType == "FARGATE")
            #expect(try patched.describeTasks(cluster: "spot", tasks: [task.taskArn]).tasks.first?.capacityProviderName == "FARGATE_SPOT")

            // Neither launch type nor strategy: the cluster's default strategy.
            let byDefault = RunTaskRequest(cluster: "spot", taskDefinition: definition.taskDefinitionArn, networkConfiguration: network)
            #expect(try patched.runTask(byDefault).tasks.first?.capacityProviderName == "FARGATE")

            // AWS refuses providers the cluster lacks, and launch type plus strategy.
            _ = try patched.createCluster(name: "plain", capacityProviders: ["FARGATE"])
            var unassociated = spot
            unassociated.cluster = "plain"
            let refused = #expect(throws: AWSError.self) { try patched.runTask(unassociated) }
            #expect(refused?.classification == .invalidInput)
            var both = spot
            both.launchType = "FARGATE"
            #expect(throws: AWSError.self) { try patched.runTask(both) }

            // Raw moto answers a strategy with HTTP 500.
            let rawError = #expect(throws: AWSError.self) { try raw.runTask(spot) }
            #expect(rawError?.httpStatus == 500)
        }
    }

    @Test func securityGroupInUseByAnInstance() async throws {
        guard let emulator = Emulator.current(), let (patched, raw) = clients(emulator) else { return }
        try await onThread {
            let image = try #require(try patched.describeImages(owners: ["amazon"]).first).imageId
            let vpc = try patched.createVpc(cidrBlock: "10.9.0.0/16")
            let subnet = try patched.createSubnet(vpcId: vpc.vpcId, cidrBlock: "10.9.1.0/24", availabilityZone: "us-east-2b")
            func group(_ name: String) throws -> String {
                try patched.createSecurityGroup(name: name, description: name, vpcId: vpc.vpcId)
            }
            let (used, rawUsed) = (try group("used"), try group("raw-used"))
            let instances = try patched.runInstances(RunInstancesRequest(imageId: image, instanceType: "t3.micro",
                                                                         subnetId: subnet.subnetId, securityGroupIds: [used, rawUsed]))
            let blocked = #expect(throws: AWSError.self) { try patched.deleteSecurityGroup(id: used) }
            #expect(blocked?.code == "DependencyViolation")
            #expect(blocked?.classification == .dependencyViolation)
            let subnetBlocked = #expect(throws: AWSError.self) { try patched.deleteSubnet(id: subnet.subnetId) }
            #expect(subnetBlocked?.classification == .dependencyViolation)

            // Raw moto deletes a group that a running instance still uses.
            try raw.deleteSecurityGroup(id: rawUsed)

            _ = try patched.terminateInstances(ids: instances.map(\.instanceId))
            try patched.deleteSecurityGroup(id: used)
            try patched.deleteSubnet(id: subnet.subnetId)
        }
    }

    @Test func subnetAndGroupInUseByATask() async throws {
        guard let emulator = Emulator.current(), let (patched, raw) = clients(emulator) else { return }
        try await onThread {
            let fargate = try ECSTests.fargateTask(patched, cluster: "dv")
            let net = (subnet: fargate.subnet, group: fargate.group)
            let task = try #require(try patched.runTask(fargate.request).tasks.first)
            let subnetError = #expect(throws: AWSError.self) { try patched.deleteSubnet(id: net.subnet) }
            #expect(subnetError?.classification == .dependencyViolation)
            let groupError = #expect(throws: AWSError.self) { try patched.deleteSecurityGroup(id: net.group) }
            #expect(groupError?.classification == .dependencyViolation)

            _ = try patched.stopTask(cluster: "dv", task: task.taskArn, reason: "done")
            try patched.deleteSecurityGroup(id: net.group)
            try patched.deleteSubnet(id: net.subnet)

            // Raw moto: the same situation, and the subnet goes at once.
            let rawNet = try ECSTests.network(raw)
            var rawRequest = fargate.request
            rawRequest.networkConfiguration = NetworkConfiguration(subnets: [rawNet.subnet], securityGroups: [rawNet.group],
                                                                   assignPublicIp: true)
            _ = try raw.runTask(rawRequest)
            try raw.deleteSubnet(id: rawNet.subnet)
        }
    }

    @Test func vpcWithAttachedGatewayOrGroups() async throws {
        guard let emulator = Emulator.current(), let (patched, raw) = clients(emulator) else { return }
        try await onThread {
            let vpc = try patched.createVpc(cidrBlock: "10.8.0.0/16")
            let igw = try patched.createInternetGateway()
            try patched.attachInternetGateway(id: igw.internetGatewayId, vpcId: vpc.vpcId)
            let igwBusy = #expect(throws: AWSError.self) { try patched.deleteInternetGateway(id: igw.internetGatewayId) }
            #expect(igwBusy?.classification == .dependencyViolation)
            let vpcBusy = #expect(throws: AWSError.self) { try patched.deleteVpc(id: vpc.vpcId) }
            #expect(vpcBusy?.classification == .dependencyViolation)
            try patched.detachInternetGateway(id: igw.internetGatewayId, vpcId: vpc.vpcId)
            try patched.deleteInternetGateway(id: igw.internetGatewayId)
            try patched.deleteVpc(id: vpc.vpcId)

            // Raw moto deletes a VPC whose gateway is still attached.
            let rawVpc = try raw.createVpc(cidrBlock: "10.7.0.0/16")
            let rawIgw = try raw.createInternetGateway()
            try raw.attachInternetGateway(id: rawIgw.internetGatewayId, vpcId: rawVpc.vpcId)
            try raw.deleteVpc(id: rawVpc.vpcId)
        }
    }

    /// AWS answers a DryRun with 412 DryRunOperation and makes nothing. Raw moto runs
    /// CreateVpc (and CreateSubnet, CreateRouteTable, …) for real and answers 200; through the
    /// proxy every EC2 DryRun is answered like AWS, including the actions moto honours itself.
    @Test func dryRunMakesNothing() async throws {
        guard let emulator = Emulator.current(), let (patched, raw) = clients(emulator) else { return }
        try await onThread {
            func dryRun(_ client: AWSClient, _ action: String, _ parameters: [(String, String)]) -> Result<Void, AWSError> {
                var p = QueryParameters()
                p.set("DryRun", true)
                for (name, value) in parameters { p.set(name, value) }
                return Result { () throws(AWSError) in _ = try client.query(.ec2, action: action, p) }
            }
            let vpcsBefore = try patched.describeVpcs().count
            for (action, parameters) in [("CreateVpc", [("CidrBlock", "10.6.0.0/16")]),
                                         ("CreateInternetGateway", []),
                                         ("CreateRouteTable", [("VpcId", "vpc-00000000000000000")]),
                                         ("RunInstances", [("ImageId", "ami-00000000000000000"), ("InstanceType", "t3.micro"),
                                                           ("MinCount", "1"), ("MaxCount", "1")])] {
                guard case .failure(let error) = dryRun(patched, action, parameters) else {
                    Issue.record("\(action): a DryRun succeeded through the proxy")
                    continue
                }
                #expect(error.code == "DryRunOperation" && error.httpStatus == 412, "\(action): \(error)")
                #expect(error.message == "Request would have succeeded, but DryRun flag is set.")
            }
            #expect(try patched.describeVpcs().count == vpcsBefore, "a DryRun made a VPC")
            #expect(try patched.describeInstances().isEmpty)

            // Raw moto: CreateVpc ignores DryRun and makes a VPC; RunInstances honours it.
            guard case .success = dryRun(raw, "CreateVpc", [("CidrBlock", "10.6.0.0/16")]) else {
                Issue.record("raw moto honours DryRun on CreateVpc now: the patch may go for this action")
                return
            }
            #expect(try raw.describeVpcs().count == vpcsBefore + 1)
            if case .failure(let error) = dryRun(raw, "RunInstances", [("ImageId", "ami-00000000000000000"), ("InstanceType", "t3.micro"),
                                                                      ("MinCount", "1"), ("MaxCount", "1")]) {
                #expect(error.code == "DryRunOperation" && error.httpStatus == 412)
            } else {
                Issue.record("raw moto ran RunInstances despite DryRun")
            }
        }
    }
}
