import AWS
import Testing

/// ECS clusters with capacity providers, task definitions, run/describe/list/stop tasks.
@Suite struct ECSTests {
    /// A VPC set up the way Fargate needs it (DNS hostnames, a subnet, a security group).
    static func network(_ client: AWSClient) throws -> (subnet: String, group: String) {
        let vpc = try client.createVpc(cidrBlock: "10.50.0.0/16")
        try client.modifyVpcAttribute(vpcId: vpc.vpcId, enableDnsHostnames: true)
        let subnet = try client.createSubnet(vpcId: vpc.vpcId, cidrBlock: "10.50.1.0/24", availabilityZone: "us-east-2a")
        let group = try client.createSecurityGroup(name: "tasks", description: "tasks", vpcId: vpc.vpcId)
        return (subnet.subnetId, group)
    }

    /// A cluster, a task definition and a network, and the FARGATE RunTask request they make.
    static func fargateTask(_ client: AWSClient, cluster: String) throws -> (request: RunTaskRequest, subnet: String, group: String) {
        _ = try client.createCluster(name: cluster)
        let definition = try taskDefinition(client)
        let net = try network(client)
        let request = RunTaskRequest(cluster: cluster, taskDefinition: definition.taskDefinitionArn, launchType: "FARGATE",
                                     networkConfiguration: NetworkConfiguration(subnets: [net.subnet], securityGroups: [net.group],
                                                                                assignPublicIp: true))
        return (request, net.subnet, net.group)
    }

    static func taskDefinition(_ client: AWSClient, family: String = "berth-dask") throws -> TaskDefinition {
        try client.registerTaskDefinition(RegisterTaskDefinitionRequest(
            family: family,
            containers: [ContainerDefinition(name: "scheduler", image: "ghcr.io/dask/dask:latest",
                                             command: ["dask", "scheduler"], portMappings: [PortMapping(containerPort: 8786)],
                                             memory: 2048, logConfiguration: .awslogs(group: "/berth/t1", region: "us-east-2", streamPrefix: "c1"))],
            cpu: 1024, memoryMiB: 2048, tags: [Tag("berth:cluster", "c1")]))
    }

    @Test func clusterAndTasks() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread {
            let cluster = try client.createCluster(name: "berth-t1", defaultStrategy: [CapacityProviderStrategyItem(capacityProvider: "FARGATE")],
                                                   tags: [Tag("berth:tenant", "t1")])
            #expect(cluster.clusterName == "berth-t1")
            #expect(Set(cluster.capacityProviders ?? []) == ["FARGATE", "FARGATE_SPOT"])
            let (clusters, failures) = try client.describeClusters(["berth-t1", "nope"])
            #expect(clusters.map(\.clusterName) == ["berth-t1"])
            #expect(failures.count == 1)

            let definition = try Self.taskDefinition(client)
            #expect(definition.family == "berth-dask")
            #expect(try client.describeTaskDefinition("berth-dask").revision == definition.revision)

            let net = try Self.network(client)
            let run = try client.runTask(RunTaskRequest(
                cluster: "berth-t1", taskDefinition: definition.taskDefinitionArn, count: 1, launchType: "FARGATE",
                networkConfiguration: NetworkConfiguration(subnets: [net.subnet], securityGroups: [net.group], assignPublicIp: true),
                overrides: TaskOverride(containerOverrides: [ContainerOverride(name: "scheduler", environment: [KeyValuePair(name: "A", value: "1")])]),
                startedBy: "berth-c1", tags: [Tag("berth:cluster", "c1")]))
            #expect(run.failures.isEmpty)
            let task = try #require(run.tasks.first)
            #expect(task.lastStatus == "RUNNING")
            #expect(task.privateIPv4Address != nil)

            // Kept RUNNING however often it is described (the harness sets manual transitions).
            for _ in 0..<3 {
                #expect(try client.describeTasks(cluster: "berth-t1", tasks: [task.taskArn]).tasks.first?.lastStatus == "RUNNING")
            }
            #expect(try client.listTasks(cluster: "berth-t1", startedBy: "berth-c1") == [task.taskArn])
            let stopped = try client.stopTask(cluster: "berth-t1", task: task.taskArn, reason: "cluster deleted")
            #expect(stopped.desiredStatus == "STOPPED")
            #expect(try client.describeTasks(cluster: "berth-t1", tasks: [task.taskArn]).tasks.first?.lastStatus == "STOPPED")

            try client.deregisterTaskDefinition(definition.taskDefinitionArn)
            try client.deleteCluster("berth-t1")
            let after = try client.describeClusters(["berth-t1"])
            #expect(after.clusters.allSatisfy { $0.status == "INACTIVE" })
        }
    }

    @Test func listTasksPages() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread {
            _ = try client.createCluster(name: "paging")
            let definition = try Self.taskDefinition(client)
            let net = try Self.network(client)
            _ = try client.runTask(RunTaskRequest(
                cluster: "paging", taskDefinition: definition.taskDefinitionArn, count: 5, launchType: "FARGATE",
                networkConfiguration: NetworkConfiguration(subnets: [net.subnet], securityGroups: [net.group], assignPublicIp: false)))
            #expect(try client.listTasks(cluster: "paging").count == 5)
            #expect(Set(try client.listTasks(cluster: "paging", pageSize: 2)).count == 5)
        }
    }
}
