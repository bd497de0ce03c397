import AWS
import Foundation

/// An ECS cluster's worker tasks: launched by the create's `worker_tasks` step and by the
/// `cluster.workers` job's `workers.launch` (the same code), stopped by a scale down, watched
/// until they run.
enum ECSWorkers {
    /// Launches `count` worker tasks, at most 10 per RunTask. Progress is saved after each call:
    /// the token names how many workers ran before the call and how many empty answers came back
    /// (`<tokenPrefix>-from-<n>-<empty>`), so a retry after a crash replays the same call (and
    /// gets the same tasks back), while a retry after an empty answer (no capacity) asks anew.
    /// `recorded` gets each answer's tasks before the progress is saved.
    static func launch(_ ctx: StepContext, cluster: Cluster, count: Int, tokenPrefix: String,
                       recorded: ([String]) throws -> Void) throws -> [String] {
        let spec = cluster.spec
        let ecsCluster = try ctx.require("ecs_cluster")
        let scheduler = try ctx.require("scheduler_address")
        var arns = ctx.progress["worker_task_arns"].map { $0.split(separator: ",").map(String.init) } ?? []
        var emptyAnswers = Int(ctx.progress["empty_answers"] ?? "0") ?? 0
        let spot = spec.fargateSpot == true
        while arns.count < count {
            let batch = min(ECSClusterPlan.runTaskBatch, count - arns.count)
            let result = try ctx.aws.runTask(RunTaskRequest(
                cluster: ecsCluster, taskDefinition: try ctx.require("worker_task_definition"), count: batch,
                launchType: spot ? nil : "FARGATE",
                capacityProviderStrategy: spot ? [CapacityProviderStrategyItem(capacityProvider: "FARGATE_SPOT")] : nil,
                networkConfiguration: try ECSClusterPlan.networkConfiguration(ctx),
                overrides: TaskOverride(containerOverrides: [ContainerOverride(
                    name: "worker",
                    command: ECSClusterPlan.workerCommand(scheduler: scheduler, spec: spec))]),
                clientToken: ctx.clientToken("\(tokenPrefix)-from-\(arns.count)-\(emptyAnswers)"),
                startedBy: ECSNames.startedBy(cluster: cluster.id),
                tags: ctx.tags.tags(name: "\(Names.securityGroup(cluster: cluster.id))-worker")))
            if result.tasks.isEmpty {
                emptyAnswers += 1
                try ctx.saveProgress(["worker_task_arns": arns.joined(separator: ","), "empty_answers": "\(emptyAnswers)"])
                throw ECSClusterPlan.runTaskFailure(result, what: "\(batch) workers", spot: spot, region: cluster.region)
            }
            let launched = result.tasks.map(\.taskArn)
            try recorded(launched)
            arns += launched
            if arns.count < count {
                try ctx.saveProgress(["worker_task_arns": arns.joined(separator: ","), "empty_answers": "\(emptyAnswers)"])
            }
        }
        return arns
    }

    /// StopTask for each; a task already gone counts as stopped.
    static func stop(_ ctx: StepContext, ids: [String], reason: String) throws {
        let ecsCluster = try ctx.require("ecs_cluster")
        for arn in ids {
            _ = try tolerate([.notFound]) { try ctx.aws.stopTask(cluster: ecsCluster, task: arn, reason: reason) }
        }
    }

    /// RUNNING and HEALTHY is running; STOPPED (or on its way there) or UNHEALTHY is failed, with
    /// ECS's reasons; anything else, or a task ECS does not show yet, is starting.
    static func observe(_ ctx: StepContext, ids: [String]) throws -> [String: WorkerObservation] {
        let ecsCluster = try ctx.require("ecs_cluster")
        var seen: [String: WorkerObservation] = [:]
        for chunk in ids.chunks(of: ECSClusterPlan.describeTasksBatch) {
            for task in try ctx.aws.describeTasks(cluster: ecsCluster, tasks: chunk).tasks {
                let reasons = ECSClusterPlan.containerReasons(task)
                seen[task.taskArn] = switch (task.lastStatus, ECSClusterPlan.health(task)) {
                case ("STOPPED", _), ("DEPROVISIONING", _), ("STOPPING", _):
                    .failed("task stopped before it ran: \(task.stoppedReason ?? "no reason given")\(reasons)")
                case (_, "UNHEALTHY"): .failed("failed its health check (Dask's /health)\(reasons)")
                case ("RUNNING", "HEALTHY"): .running
                default: .starting
                }
            }
        }
        return Dictionary(uniqueKeysWithValues: ids.map { ($0, seen[$0] ?? .starting) })
    }
}
