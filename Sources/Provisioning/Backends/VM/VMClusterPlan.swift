import AWS
import Foundation

/// A Dask cluster on EC2 instances in the tenant's shared network: its own security group,
/// checked instance types and images, the scheduler instance, then the workers. Every launch
/// carries a deterministic ClientToken and its tags (TagSpecifications), requires IMDSv2, and
/// uses the tenant's instance profile. Ready when every worker instance runs.
enum VMClusterPlan {
    static func steps(cluster: Cluster) -> [Step] {
        let spec = cluster.spec
        let liveStates = ["pending", "running", "stopping", "stopped"]
        return [
            ClusterSecurityGroup.step(cluster: cluster),
            Step("instance_types", .check) { ctx in
                let worker = try VMInstances.workerType(spec)
                let scheduler = try VMInstances.schedulerType(spec)
                try VMInstances.check(worker: worker, scheduler: scheduler, spec: spec, region: cluster.region, aws: ctx.aws)
                return .done(["worker_instance_type": worker, "scheduler_instance_type": scheduler])
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
                let instances = try ctx.aws.runInstances(RunInstancesRequest(
                    imageId: try ctx.require("scheduler_image_id"), instanceType: try ctx.require("scheduler_instance_type"),
                    subnetId: ctx.list("subnet_ids").first, securityGroupIds: [try ctx.require("security_group_id")],
                    instanceProfileArn: try ctx.require("instance_profile_arn"), userData: VMInstances.schedulerUserData(),
                    clientToken: ctx.clientToken(), tags: ctx.tags.tags(name: "\(Names.securityGroup(cluster: cluster.id))-scheduler")))
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
            Step("worker_instances", .create) { ctx in
                guard spec.workers > 0 else { return .done(["worker_instance_ids": ""]) }
                if ctx.resumed {
                    let found = try adopt(ctx, liveStates: liveStates)
                    if found.count >= spec.workers { return .done(["worker_instance_ids": found.map(\.instanceId).joined(separator: ",")]) }
                }
                // One call with one token: a retry after a crash returns the instances it started.
                let instances = try ctx.aws.runInstances(RunInstancesRequest(
                    imageId: try ctx.require("worker_image_id"), instanceType: try ctx.require("worker_instance_type"),
                    count: spec.workers, subnetId: ctx.list("subnet_ids").first, securityGroupIds: [try ctx.require("security_group_id")],
                    instanceProfileArn: try ctx.require("instance_profile_arn"),
                    userData: VMInstances.workerUserData(scheduler: try ctx.require("scheduler_address"), spec: spec),
                    clientToken: ctx.clientToken(), tags: ctx.tags.tags(name: "\(Names.securityGroup(cluster: cluster.id))-worker"),
                    spot: spec.spot == true))
                guard instances.count == spec.workers else {
                    throw RetryableStepError("RunInstances started \(instances.count) of \(spec.workers) workers")
                }
                return .done(["worker_instance_ids": instances.map(\.instanceId).joined(separator: ",")])
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
        ]
    }

    /// Instances a crashed attempt of this step launched (by the step's tags).
    private static func adopt(_ ctx: StepContext, liveStates: [String]) throws -> [Instance] {
        try ctx.aws.describeInstances(filters: ctx.tags.filters + [EC2Filter("instance-state-name", liveStates)])
    }
}
