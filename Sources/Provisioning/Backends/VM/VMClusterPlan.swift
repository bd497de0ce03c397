import AWS
import Foundation

/// A Dask cluster on EC2 instances in the tenant's shared network: its own security group,
/// checked instance types and images, the scheduler instance, then the workers. Every launch
/// carries a deterministic ClientToken and its tags (TagSpecifications), requires IMDSv2, and
/// uses the tenant's instance profile. Ready when every worker instance runs and the scheduler's
/// console says Dask answers and at least one worker is connected (`VMConsole`).
enum VMClusterPlan {
    static func steps(cluster: Cluster) -> [Step] {
        let spec = cluster.spec
        let liveStates = ["pending", "running", "stopping", "stopped"]
        return [
            WorkerRole.checkStep(cluster: cluster),
            ClusterSecurityGroup.step(cluster: cluster),
            ClusterTLSSecret.step(cluster: cluster),
            Step("instance_types", .check) { ctx in
                let worker = try VMInstances.workerType(spec)
                let scheduler = try VMInstances.schedulerType(spec)
                // The network's subnets, zone by zone; each type goes only where its zone offers it.
                let subnets = Array(zip(ctx.list("zones"), ctx.list("subnet_ids")))
                let offered = try VMInstances.check(worker: worker, scheduler: scheduler, spec: spec, region: cluster.region,
                                                    zones: subnets.map(\.0), aws: ctx.aws)
                let subnetsOffering = { (type: String) in
                    subnets.filter { offered[type]?.contains($0.0) == true }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
                }
                return .done(["worker_instance_type": worker, "scheduler_instance_type": scheduler,
                              "worker_zone_subnets": subnetsOffering(worker), "scheduler_zone_subnets": subnetsOffering(scheduler)])
            },
            Step("images", .check) { ctx in
                if let image = spec.image { return .done(["scheduler_image_id": image, "worker_image_id": image]) }
                let cpu = try VMInstances.defaultImage(gpu: false, aws: ctx.aws)
                let worker = spec.workerGpus > 0 ? try VMInstances.defaultImage(gpu: true, aws: ctx.aws) : cpu
                return .done(["scheduler_image_id": cpu, "worker_image_id": worker])
            },
            Step("scheduler_instance", .create) { ctx in
                if ctx.resumed, let found = try adopt(ctx, liveStates: liveStates).first {
                    return .done(["scheduler_instance_id": found.instanceId])
                }
                let type = try ctx.require("scheduler_instance_type")
                let instances = try launch(ctx, type: type, zones: "scheduler_zone_subnets", region: cluster.region) { subnet, token in
                    RunInstancesRequest(
                        imageId: try ctx.require("scheduler_image_id"), instanceType: type,
                        subnetId: subnet, securityGroupIds: [try ctx.require("security_group_id")],
                        instanceProfileArn: try ctx.require("instance_profile_arn"), userData: VMInstances.schedulerUserData(cluster: cluster, tlsSecret: try ctx.require("tls_secret_arn")),
                        clientToken: token, tags: ctx.tags.tags(name: "\(Names.securityGroup(cluster: cluster.id))-scheduler"),
                        shutdownBehavior: "terminate")
                }
                guard let instance = instances.first else { throw RetryableStepError("RunInstances started no scheduler instance") }
                return .done(["scheduler_instance_id": instance.instanceId])
            },
            Step("scheduler_running", .check) { ctx in
                let id = try ctx.require("scheduler_instance_id")
                guard let instance = try ctx.aws.describeInstances(ids: [id]).first else {
                    return .wait(seconds: ctx.pollInterval, reason: "the scheduler instance to appear")
                }
                switch instance.state {
                case "running":
                    guard let ip = instance.privateIpAddress else {
                        return .wait(seconds: ctx.pollInterval, reason: "the scheduler instance's address")
                    }
                    return .done(DaskScheduler.outputs(privateIP: ip, publicIP: instance.publicIpAddress))
                case "pending":
                    return .wait(seconds: ctx.pollInterval, reason: "the scheduler instance to be running")
                default:
                    throw StepFailure("the scheduler instance \(id) is \(instance.state) instead of starting")
                }
            },
            // With a worker role, the workers' own instance profile holding it (the scheduler keeps the tenant's).
            Step("worker_instance_profile", .create) { ctx in
                guard let arn = spec.workerRoleArn else { return .done([:]) }
                let role = try WorkerRole(parsing: arn, what: "worker_role_arn")
                let profile = try InstanceProfiles.ensure(ctx, name: Names.workerInstanceProfile(cluster: cluster.id), roleName: role.name)
                return .done(["worker_instance_profile_arn": profile.arn])
            },
            Step("worker_instances", .create) { ctx in
                guard spec.workers > 0 else { return .done(["worker_instance_ids": ""]) }
                let record = { (ids: [String]) in
                    try ctx.job.withConnection { try WorkerSet($0).record(ids, cluster: cluster, job: ctx.job.job.id, replacing: false, step: ctx.step) }
                }
                if ctx.resumed {
                    let found = try adopt(ctx, liveStates: liveStates).map(\.instanceId)
                    if found.count >= spec.workers {
                        try record(found)
                        return .done(["worker_instance_ids": found.joined(separator: ",")])
                    }
                }
                // One call (per zone) with one token: a retry after a crash returns the instances it started.
                let ids = try VMWorkers.launch(ctx, cluster: cluster, count: spec.workers, tokenPart: nil, recorded: record)
                return .done(["worker_instance_ids": ids.joined(separator: ",")])
            },
        ]
    }

    static func readinessSteps(cluster: Cluster) -> [Step] {
        [
            Step("workers_running", .check) { ctx in
                let ids = ctx.list("worker_instance_ids")
                guard !ids.isEmpty else { return .done(["workers_running": "0"]) }
                let instances = try ctx.aws.describeInstances(ids: ids)
                if let gone = instances.first(where: { !["pending", "running"].contains($0.state) }) {
                    throw StepFailure("worker instance \(gone.instanceId) is \(gone.state) instead of starting")
                }
                let pending = ids.count - instances.filter { $0.state == "running" }.count
                if pending > 0 { return .wait(seconds: ctx.pollInterval, reason: "\(pending) of \(ids.count) worker instances to be running") }
                return .done(["workers_running": "\(ids.count)"])
            },
            // Dask serves: the scheduler's console (GetConsoleOutput, readable with the tenant's
            // key alone) says it answers /health and counts at least one connected worker.
            Step("dask_ready", .check) { ctx in
                let id = try ctx.require("scheduler_instance_id")
                let console = VMConsole(output: try ctx.aws.getConsoleOutput(instanceId: id), role: "scheduler")
                if let exited = console.exited {
                    throw StepFailure("the scheduler's Dask process exited before the cluster was ready (\(exited)); instance \(id)")
                }
                let wanted = min(1, cluster.spec.workers)
                if console.healthy, (console.workers ?? 0) >= wanted {
                    return .done(["dask_workers_connected": "\(console.workers ?? 0)"])
                }
                let what = console.healthy ? "a worker to connect to the scheduler" : "the scheduler to answer /health"
                return .wait(seconds: ctx.pollInterval,
                             reason: "\(what) (scheduler \(id)'s console: \(console.lastLine ?? "nothing from Berth's boot script yet"))")
            },
        ]
    }

    /// Launches in the first zone (of the output `zones`: `zone=subnet` pairs offering the type, in
    /// the network's order) that has capacity: `InsufficientInstanceCapacity` or `Unsupported`
    /// moves on to the next zone; when every zone refused, the step waits and tries again,
    /// backing off, up to its deadline. A vCPU quota fails the cluster, naming it. Each zone has
    /// its own client token (the first zone the step's own), so every retry in a zone after a
    /// lost answer or a crash returns what the first call started there. `tokenPart` tells one
    /// launch of the step from another (the `cluster.workers` job's rounds); nil for the create's.
    static func launch(_ ctx: StepContext, type: String, zones key: String, region: String, tokenPart: String? = nil,
                       _ request: (_ subnet: String, _ token: String) throws -> RunInstancesRequest) throws -> [Instance] {
        var zones = ctx.list(key).map { pair in (zone: String(pair.prefix { $0 != "=" }), subnet: String(pair.drop { $0 != "=" }.dropFirst())) }
        // A cluster whose types were checked before zones were recorded: the first subnet, as then.
        if ctx.outputs[key] == nil, let first = ctx.list("subnet_ids").first { zones = [(zone: "the first zone", subnet: first)] }
        guard !zones.isEmpty else { throw StepFailure("internal: no zone of the network offers \(type)") }
        var refused: [String] = []
        for (index, zone) in zones.enumerated() {
            do {
                let part = index == 0 ? tokenPart : [tokenPart, "zone-\(zone.zone)"].compactMap { $0 }.joined(separator: "-")
                return try ctx.aws.runInstances(request(zone.subnet, ctx.clientToken(part)))
            } catch let error as AWSError {
                switch error.cause(instanceType: type) {
                case .capacity(.instanceType), .capacity(.unsupportedInZone):
                    refused.append("\(zone.zone) (\(error.code))")
                    ctx.logger.info("no capacity for the instance type in a zone; trying the next", metadata: [
                        "instance_type": "\(type)", "zone": "\(zone.zone)", "aws_code": "\(error.code)"])
                case .quota(let quota):
                    throw StepFailure.quota(quota, region: region, detail: "\(error.code): \(error.message)")
                default:
                    throw error
                }
            }
        }
        throw StepPending("capacity for \(type) in \(zones.map(\.zone).joined(separator: ", "))",
                          retry: .init(type: "retry",
                                       message: "\(ctx.step): no capacity for \(type) in any zone that offers it: \(refused.joined(separator: ", ")); retrying with backoff",
                                       data: ["cause": "capacity", "instance_type": type]))
    }

    /// Instances a crashed attempt of this step launched (by the step's tags).
    private static func adopt(_ ctx: StepContext, liveStates: [String]) throws -> [Instance] {
        try ctx.aws.describeInstances(filters: ctx.tags.filters + [EC2Filter("instance-state-name", liveStates)])
    }
}
