import AWS
import Foundation

/// An ECS/Fargate Dask cluster in the tenant's shared network: its own security group, a task
/// definition each for the scheduler and the workers, the scheduler task, then the workers;
/// ready when every worker task runs.
enum ECSClusterPlan {
    static let runTaskBatch = 10  // RunTask starts at most 10 tasks per call
    static let describeTasksBatch = 100

    static func steps(cluster: Cluster) -> [Step] {
        let spec = cluster.spec
        let startedBy = ECSNames.startedBy(cluster: cluster.id)
        return [
            WorkerRole.checkStep(cluster: cluster),
            ClusterSecurityGroup.step(cluster: cluster),
            ClusterTLSSecret.step(cluster: cluster),
            Step("task_definitions", .create) { ctx in
                var arns: StepOutputs = [:]
                for role in ["scheduler", "worker"] {
                    let family = ECSNames.taskFamily(cluster: cluster.id, role: role)
                    if ctx.resumed, let found = try tolerate([.notFound, .invalidInput], { try ctx.aws.describeTaskDefinition(family) }),
                       found.status == "ACTIVE" {
                        arns["\(role)_task_definition"] = found.taskDefinitionArn
                        continue
                    }
                    let cpu = role == "scheduler" ? spec.schedulerCpu : spec.workerCpu
                    let memory = role == "scheduler" ? spec.schedulerMemory : spec.workerMemory
                    let memoryMiB = Int(memory * 1024)
                    let container = ContainerDefinition(
                        name: role, image: cluster.daskImage,
                        command: role == "scheduler" ? DaskTLS.command(.scheduler, DaskScheduler.command(spec: spec)) : ["dask", "worker"],
                        portMappings: role == "scheduler"
                            ? [PortMapping(containerPort: DaskScheduler.port), PortMapping(containerPort: DaskScheduler.dashboardPort)] : nil,
                        memory: memoryMiB,
                        logConfiguration: .awslogs(group: try ctx.require("log_group"), region: cluster.region,
                                                   streamPrefix: cluster.id.uuidString.lowercased()),
                        healthCheck: DaskHealth.containerCheck,
                        secrets: DaskTLS.containerSecrets(arn: try ctx.require("tls_secret_arn")))
                    let definition = try ctx.aws.registerTaskDefinition(RegisterTaskDefinitionRequest(
                        family: family, containers: [container], cpu: Int(cpu * 1024), memoryMiB: memoryMiB,
                        executionRoleArn: try ctx.require("execution_role_arn"),
                        taskRoleArn: role == "worker" ? spec.workerRoleArn : nil,  // data access: the workers only
                        tags: ctx.tags.tags(name: family)))
                    arns["\(role)_task_definition"] = definition.taskDefinitionArn
                }
                return .done(arns)
            },
            Step("scheduler_task", .create) { ctx in
                let ecsCluster = try ctx.require("ecs_cluster")
                // An answer without a task (no capacity) is an answer AWS keeps for its token: the
                // next try after one gets a token of its own (as the workers' calls do).
                let emptyAnswers = Int(ctx.progress["empty_answers"] ?? "0") ?? 0
                let result = try ctx.aws.runTask(RunTaskRequest(
                    cluster: ecsCluster, taskDefinition: try ctx.require("scheduler_task_definition"), count: 1, launchType: "FARGATE",
                    networkConfiguration: try networkConfiguration(ctx),
                    clientToken: emptyAnswers == 0 ? ctx.clientToken() : ctx.clientToken("empty-\(emptyAnswers)"), startedBy: startedBy,
                    tags: ctx.tags.tags(name: "\(Names.securityGroup(cluster: cluster.id))-scheduler")))
                guard let task = result.tasks.first else {
                    try ctx.saveProgress(["empty_answers": "\(emptyAnswers + 1)"])
                    throw runTaskFailure(result, what: "the scheduler", spot: false, region: cluster.region)
                }
                return .done(["scheduler_task_arn": task.taskArn])
            },
            Step("scheduler_running", .check) { ctx in
                let ecsCluster = try ctx.require("ecs_cluster")
                let arn = try ctx.require("scheduler_task_arn")
                guard let task = try ctx.aws.describeTasks(cluster: ecsCluster, tasks: [arn]).tasks.first else {
                    return .wait(seconds: ctx.pollInterval, reason: "the scheduler task to appear")
                }
                switch task.lastStatus {
                case "RUNNING":
                    guard let ip = task.privateIPv4Address else {
                        return .wait(seconds: ctx.pollInterval, reason: "the scheduler task's network interface")
                    }
                    // RUNNING is the container started; HEALTHY is Dask serving (its /health).
                    switch health(task) {
                    case "HEALTHY": break
                    case "UNHEALTHY":
                        throw StepFailure("the scheduler failed its health check (Dask's /health)\(containerReasons(task))")
                    default:
                        return .wait(seconds: ctx.pollInterval, reason: "the scheduler to pass its health check\(containerReasons(task))")
                    }
                    // The public IP is a convenience: a failed look-up does not fail the step.
                    let publicIP = task.networkInterfaceId.flatMap { eni in try? ctx.aws.describeNetworkInterfaces(ids: [eni]).first?.publicIp }
                    return .done(DaskScheduler.outputs(privateIP: ip, publicIP: publicIP))
                case "STOPPED", "DEPROVISIONING":
                    throw StepFailure("the scheduler task stopped before it ran: \(task.stoppedReason ?? "no reason given")\(containerReasons(task))")
                default:
                    return .wait(seconds: ctx.pollInterval, reason: "the scheduler task to be RUNNING (now \(task.lastStatus ?? "unknown"))")
                }
            },
            Step("worker_tasks", .create) { ctx in
                let arns = try ECSWorkers.launch(ctx, cluster: cluster, count: spec.workers, tokenPrefix: "workers") { launched in
                    try ctx.job.withConnection { try WorkerSet($0).record(launched, cluster: cluster, job: ctx.job.job.id, replacing: false, step: ctx.step) }
                }
                return .done(["worker_task_arns": arns.joined(separator: ",")])
            },
        ]
    }

    static func readinessSteps(cluster: Cluster) -> [Step] {
        [
            Step("workers_running", .check) { ctx in
                let ecsCluster = try ctx.require("ecs_cluster")
                let arns = ctx.list("worker_task_arns")
                var pending = 0
                for chunk in arns.chunks(of: describeTasksBatch) {
                    for task in try ctx.aws.describeTasks(cluster: ecsCluster, tasks: chunk).tasks {
                        if task.lastStatus == "STOPPED" {
                            throw StepFailure("a worker task stopped before it ran: \(task.stoppedReason ?? "no reason given")\(containerReasons(task))")
                        }
                        if health(task) == "UNHEALTHY" {
                            throw StepFailure("a worker failed its health check (Dask's /health)\(containerReasons(task))")
                        }
                        if task.lastStatus != "RUNNING" || health(task) != "HEALTHY" { pending += 1 }
                    }
                }
                if pending > 0 {
                    return .wait(seconds: ctx.pollInterval, reason: "\(pending) of \(arns.count) worker tasks to be RUNNING and HEALTHY")
                }
                return .done(["workers_running": "\(arns.count)"])
            },
        ]
    }

    /// Up to 10 workers share one RunTask's override, so the name each gets is a value of its
    /// own task at run time: the container's hostname (the task's, on awsvpc), which the TLS
    /// launcher puts in place of `DaskTLS.hostname`.
    static func workerCommand(scheduler: String, spec: ClusterSpec) -> [String] {
        DaskTLS.command(.worker, DaskWorker.command(scheduler: scheduler, name: DaskTLS.hostname, spec: spec))
    }

    /// The task's healthStatus; where an answer leaves it out (moto does), its containers' own:
    /// HEALTHY when all are, UNHEALTHY when one is, else UNKNOWN.
    static func health(_ task: ECSTask) -> String {
        if let status = task.healthStatus { return status }
        let statuses = (task.containers ?? []).map { $0.healthStatus ?? "UNKNOWN" }
        if statuses.contains("UNHEALTHY") { return "UNHEALTHY" }
        return !statuses.isEmpty && statuses.allSatisfy { $0 == "HEALTHY" } ? "HEALTHY" : "UNKNOWN"
    }

    /// The containers' own reasons (CannotPullContainerError, an exit code), for the step's message.
    static func containerReasons(_ task: ECSTask) -> String {
        let reasons = (task.containers ?? []).compactMap { c -> String? in
            let parts = [c.reason, c.exitCode.map { "exit code \($0)" }].compactMap { $0 }
            return parts.isEmpty ? nil : "\(c.name ?? "container"): \(parts.joined(separator: ", "))"
        }
        return reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))"
    }

    /// The network's subnets in zones where Fargate runs (all of them in a network made before
    /// the network recorded which), so that Fargate may place each task in any zone with capacity.
    static func networkConfiguration(_ ctx: StepContext) throws -> NetworkConfiguration {
        let fargate = ctx.list("fargate_subnet_ids")
        return NetworkConfiguration(subnets: fargate.isEmpty ? ctx.list("subnet_ids") : fargate,
                                    securityGroups: [try ctx.require("security_group_id")], assignPublicIp: true)
    }

    /// ECS answers capacity and quota problems as `failures`, not errors. The Fargate vCPU quota
    /// fails the cluster, saying how to raise it; no capacity now waits and tries again, backing
    /// off, up to the step's deadline; anything else is retried with backoff.
    static func runTaskFailure(_ result: RunTaskResult, what: String, spot: Bool, region: String) -> Error {
        let reasons = result.failures.map { "\($0.reason ?? "?")\($0.detail.map { " (\($0))" } ?? "")" }.joined(separator: "; ")
        let detail = "ECS could not start \(what): \(reasons.isEmpty ? "no reason given" : reasons)"
        let causes = result.failures.map { $0.cause(spot: spot) }
        if let quota = causes.lazy.compactMap({ cause -> AWSQuota? in if case .quota(let quota) = cause { quota } else { nil } }).first {
            return StepFailure.quota(quota, region: region, detail: detail)
        }
        if !causes.isEmpty, causes.allSatisfy({ $0 == .capacity(.fargate) }) {
            return StepPending("Fargate capacity for \(what)",
                               retry: .init(type: "retry", message: "\(detail); retrying with backoff", data: ["cause": "capacity"]))
        }
        return RetryableStepError(detail)
    }
}
