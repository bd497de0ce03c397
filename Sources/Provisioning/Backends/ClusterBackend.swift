import AWS

/// One kind of compute a Dask cluster runs on. Everything Berth does with a cluster's own
/// resources goes through here, so a backend lives in one folder (Backends/ECS, Backends/VM)
/// and the jobs never ask which backend they have. docs/architecture.md says how to add one.
///
/// Steps run in the cluster's scope (`cluster:<id>`), so their names are checkpoint keys: a
/// name once released may not change meaning. What else a backend must do to a cluster it
/// runs (scale it, repair it) belongs here too, as steps of their own beside these.
protocol ClusterBackend: Sendable {
    /// Makes the cluster's resources. The plan already holds the shared network's outputs
    /// (`vpc_id`, `vpc_cidr`, `subnet_ids`, `ecs_cluster`, `log_group`, the roles' ARNs); the
    /// steps must leave the scheduler's `scheduler_address` (`tcp://<private ip>:8786`) and,
    /// when it has a public IP, `scheduler_public_address`.
    func createSteps(for cluster: Cluster) -> [Step]

    /// Run after `createSteps`: waits until the cluster serves, then the create job sets
    /// `ready`.
    func readinessSteps(for cluster: Cluster) -> [Step]

    /// Deletes everything of the cluster in dependency order. Finds it by tag, name or
    /// `startedBy`, never only from the create's checkpoints (a crashed or superseded create
    /// may have made more than it recorded), and counts "not found" as done.
    func teardownSteps(for cluster: Cluster) -> [Step]

    /// What of the cluster exists in AWS right now, beyond what `ClusterInventory` finds for
    /// every backend (security groups and instances tagged `berth:cluster`).
    func inventory(of cluster: Cluster, aws: AWSClient) throws -> [ClusterInventory.Resource]
}

extension Backend {
    /// The one place a `Backend` value becomes its steps.
    var implementation: any ClusterBackend {
        switch self {
        case .ecs: ECSBackend()
        case .vm: VMBackend()
        }
    }
}
