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

    /// Launches `count` workers of a cluster whose create steps are done (`ctx.outputs` holds
    /// their outputs), with client tokens named by `tokenPart` (nil: the create's own), calling
    /// `recorded` with the ids of each launch's answer before anything else (so they are on
    /// record in `berth.cluster_workers` before a crash can lose them). Returns every id. A
    /// resumed step that replays a call with its token gets the same workers back.
    func launchWorkers(_ ctx: StepContext, cluster: Cluster, count: Int, tokenPart: String?,
                       recorded: ([String]) throws -> Void) throws -> [String]

    /// Stops these workers (ECS StopTask, EC2 TerminateInstances); "not found" counts as done.
    func stopWorkers(_ ctx: StepContext, cluster: Cluster, ids: [String], reason: String) throws

    /// What AWS says of these workers now: starting, running (and healthy), or failed with a reason.
    func observeWorkers(_ ctx: StepContext, cluster: Cluster, ids: [String]) throws -> [String: WorkerObservation]
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
