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
            ClusterSecurityGroup.step(cluster: cluster),
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
                        name: role, image: spec.image ?? "ghcr.io/dask/dask:latest",
                        command: role == "scheduler" ? DaskScheduler.command : ["dask", "worker"],
                        portMappings: role == "scheduler"
                            ? [PortMapping(containerPort: DaskScheduler.port), PortMapping(containerPort: DaskScheduler.dashboardPort)] : nil,
                        memory: memoryMiB,
                        logConfiguration: .awslogs(group: try ctx.require("log_group"), region: cluster.region,
                                                   streamPrefix: cluster.id.uuidString.lowercased()))
                    let definition = try ctx.aws.registerTaskDefinition(RegisterTaskDefinitionRequest(
                        family: family, containers: [container], cpu: Int(cpu * 1024), memoryMiB: memoryMiB,
                        executionRoleArn: try ctx.require("execution_role_arn"), tags: ctx.tags.tags(name: family)))
                    arns["\(role)_task_definition"] = definition.taskDefinitionArn
                }
                return .done(arns)
            },
            Step("scheduler_task", .create) { ctx in
                let ecsCluster = try ctx.require("ecs_cluster")
                let result = try ctx.aws.runTask(RunTaskRequest(
                    cluster: ecsCluster, taskDefinition: try ctx.require("scheduler_task_definition"), count: 1, launchType: "FARGATE",
                    networkConfiguration: try networkConfiguration(ctx), clientToken: ctx.clientToken(), startedBy: startedBy,
                    tags: ctx.tags.tags(name: "\(Names.securityGroup(cluster: cluster.id))-scheduler")))
                guard let task = result.tasks.first else { throw runTaskFailure(result, what: "the scheduler") }
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
                    // The public IP is a convenience: a failed look-up does not fail the step.
                    let publicIP = task.networkInterfaceId.flatMap { eni in try? ctx.aws.describeNetworkInterfaces(ids: [eni]).first?.publicIp }
                    return .done(DaskScheduler.outputs(privateIP: ip, publicIP: publicIP))
                case "STOPPED", "DEPROVISIONING":
                    throw StepFailure("the scheduler task stopped before it ran: \(task.stoppedReason ?? "no reason given")")
                default:
                    return .wait(seconds: ctx.pollInterval, reason: "the scheduler task to be RUNNING (now \(task.lastStatus ?? "unknown"))")
                }
            },
            Step("worker_tasks", .create) { ctx in
                let ecsCluster = try ctx.require("ecs_cluster")
                let scheduler = try ctx.require("scheduler_address")
                // Progress is saved after each call: the token names how many workers ran before
                // the call and how many empty answers came back, so a retry after a crash replays
                // the same call (and gets the same tasks back), while a retry after an empty answer
                // (no capacity) asks anew.
                var arns = ctx.progress["worker_task_arns"].map { $0.split(separator: ",").map(String.init) } ?? []
                var emptyAnswers = Int(ctx.progress["empty_answers"] ?? "0") ?? 0
                let spot = spec.fargateSpot == true
                while arns.count < spec.workers {
                    let count = min(runTaskBatch, spec.workers - arns.count)
                    let result = try ctx.aws.runTask(RunTaskRequest(
                        cluster: ecsCluster, taskDefinition: try ctx.require("worker_task_definition"), count: count,
                        launchType: spot ? nil : "FARGATE",
                        capacityProviderStrategy: spot ? [CapacityProviderStrategyItem(capacityProvider: "FARGATE_SPOT")] : nil,
                        networkConfiguration: try networkConfiguration(ctx),
                        overrides: TaskOverride(containerOverrides: [ContainerOverride(
                            name: "worker",
                            command: ["dask", "worker", scheduler, "--nthreads", "\(max(1, Int(spec.workerCpu)))",
                                      "--memory-limit", "\(Int(spec.workerMemory * 1024))MiB"])]),
                        clientToken: ctx.clientToken("workers-from-\(arns.count)-\(emptyAnswers)"), startedBy: startedBy,
                        tags: ctx.tags.tags(name: "\(Names.securityGroup(cluster: cluster.id))-worker")))
                    if result.tasks.isEmpty {
                        emptyAnswers += 1
                        try ctx.saveProgress(["worker_task_arns": arns.joined(separator: ","), "empty_answers": "\(emptyAnswers)"])
                        throw runTaskFailure(result, what: "\(count) workers")
                    }
                    arns += result.tasks.map(\.taskArn)
                    if arns.count < spec.workers {
                        try ctx.saveProgress(["worker_task_arns": arns.joined(separator: ","), "empty_answers": "\(emptyAnswers)"])
                    }
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
                            throw StepFailure("a worker task stopped before it ran: \(task.stoppedReason ?? "no reason given")")
                        }
                        if task.lastStatus != "RUNNING" { pending += 1 }
                    }
                }
                if pending > 0 {
                    return .wait(seconds: ctx.pollInterval, reason: "\(pending) of \(arns.count) worker tasks to be RUNNING")
                }
                return .done(["workers_running": "\(arns.count)"])
            },
        ]
    }

    private static func networkConfiguration(_ ctx: StepContext) throws -> NetworkConfiguration {
        NetworkConfiguration(subnets: ctx.list("subnet_ids"), securityGroups: [try ctx.require("security_group_id")], assignPublicIp: true)
    }

    /// ECS answers capacity problems as `failures`, not errors: worth another try later.
    private static func runTaskFailure(_ result: RunTaskResult, what: String) -> Error {
        let reasons = result.failures.map { "\($0.reason ?? "?")\($0.detail.map { " (\($0))" } ?? "")" }.joined(separator: "; ")
        return RetryableStepError("ECS could not start \(what): \(reasons.isEmpty ? "no reason given" : reasons)")
    }
}
