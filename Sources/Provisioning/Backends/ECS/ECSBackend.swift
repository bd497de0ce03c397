import AWS

/// Dask on ECS/Fargate tasks in the tenant's shared ECS cluster.
struct ECSBackend: ClusterBackend {
    func createSteps(for cluster: Cluster) -> [Step] { ECSClusterPlan.steps(cluster: cluster) }

    func readinessSteps(for cluster: Cluster) -> [Step] { ECSClusterPlan.readinessSteps(cluster: cluster) }

    func teardownSteps(for cluster: Cluster) -> [Step] { ECSTeardownPlan.steps(cluster: cluster) }

    /// Tasks started by the cluster that have not stopped, and its active task definitions.
    func inventory(of cluster: Cluster, aws: AWSClient) throws -> [ClusterInventory.Resource] {
        var found: [ClusterInventory.Resource] = []
        let ecsCluster = Names.ecsCluster(tenant: cluster.tenant)
        let arns = try tolerate([.notFound]) { try aws.listTasks(cluster: ecsCluster, startedBy: ECSNames.startedBy(cluster: cluster.id)) } ?? []
        for chunk in arns.chunks(of: ECSClusterPlan.describeTasksBatch) {
            found += try aws.describeTasks(cluster: ecsCluster, tasks: chunk).tasks.filter { $0.lastStatus != "STOPPED" }
                .map { .init(kind: "ecs task", id: $0.taskArn, state: $0.lastStatus ?? "?") }
        }
        for role in ["scheduler", "worker"] {
            if let definition = try tolerate([.notFound, .invalidInput], { try aws.describeTaskDefinition(ECSNames.taskFamily(cluster: cluster.id, role: role)) }),
               definition.status == "ACTIVE" {
                found.append(.init(kind: "task definition", id: definition.taskDefinitionArn, state: "ACTIVE"))
            }
        }
        return found
    }

    func launchWorkers(_ ctx: StepContext, cluster: Cluster, count: Int, tokenPart: String?,
                       recorded: ([String]) throws -> Void) throws -> [String] {
        try ECSWorkers.launch(ctx, cluster: cluster, count: count, tokenPrefix: tokenPart ?? "workers", recorded: recorded)
    }

    func stopWorkers(_ ctx: StepContext, cluster: Cluster, ids: [String], reason: String) throws {
        try ECSWorkers.stop(ctx, ids: ids, reason: reason)
    }

    func observeWorkers(_ ctx: StepContext, cluster: Cluster, ids: [String]) throws -> [String: WorkerObservation] {
        try ECSWorkers.observe(ctx, ids: ids)
    }
}
