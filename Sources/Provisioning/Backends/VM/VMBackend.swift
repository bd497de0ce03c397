import AWS

/// Dask on EC2 instances in the tenant's shared network.
struct VMBackend: ClusterBackend {
    func createSteps(for cluster: Cluster) -> [Step] { VMClusterPlan.steps(cluster: cluster) }

    func readinessSteps(for cluster: Cluster) -> [Step] { VMClusterPlan.readinessSteps(cluster: cluster) }

    func teardownSteps(for cluster: Cluster) -> [Step] { VMTeardownPlan.steps(cluster: cluster) }

    /// Beyond the tagged instances and security group every inventory lists: the workers'
    /// instance profile (IAM, found by its name).
    func inventory(of cluster: Cluster, aws: AWSClient) throws -> [ClusterInventory.Resource] {
        let name = Names.workerInstanceProfile(cluster: cluster.id)
        guard try tolerate([.notFound], { try aws.getInstanceProfile(name: name) }) != nil else { return [] }
        return [ClusterInventory.Resource(kind: "instance profile", id: name, state: "exists")]
    }

    func launchWorkers(_ ctx: StepContext, cluster: Cluster, count: Int, tokenPart: String?,
                       recorded: ([String]) throws -> Void) throws -> [String] {
        try VMWorkers.launch(ctx, cluster: cluster, count: count, tokenPart: tokenPart, recorded: recorded)
    }

    func stopWorkers(_ ctx: StepContext, cluster: Cluster, ids: [String], reason: String) throws {
        try VMWorkers.stop(ctx, ids: ids)
    }

    func observeWorkers(_ ctx: StepContext, cluster: Cluster, ids: [String]) throws -> [String: WorkerObservation] {
        try VMWorkers.observe(ctx, ids: ids)
    }
}
