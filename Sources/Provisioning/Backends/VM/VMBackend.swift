import AWS

/// Dask on EC2 instances in the tenant's shared network.
struct VMBackend: ClusterBackend {
    func createSteps(for cluster: Cluster) -> [Step] { VMClusterPlan.steps(cluster: cluster) }

    func readinessSteps(for cluster: Cluster) -> [Step] { VMClusterPlan.readinessSteps(cluster: cluster) }

    func teardownSteps(for cluster: Cluster) -> [Step] { VMTeardownPlan.steps(cluster: cluster) }

    /// Nothing beyond the tagged instances and security group every inventory lists.
    func inventory(of cluster: Cluster, aws: AWSClient) throws -> [ClusterInventory.Resource] { [] }
}
