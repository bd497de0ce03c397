import AWS
import Foundation

/// A VM cluster's worker instances: launched by the create's `worker_instances` step and by the
/// `cluster.workers` job's `workers.launch` (the same code), terminated by a scale down, watched
/// until they run.
enum VMWorkers {
    /// Launches `count` worker instances in one RunInstances (per zone, moving on where a zone
    /// has no capacity: `VMClusterPlan.launch`), with the client token `tokenPart` names: a retry
    /// after a crash or a lost answer returns the instances the first call started. `recorded`
    /// gets them before anything else, also when fewer than `count` started.
    static func launch(_ ctx: StepContext, cluster: Cluster, count: Int, tokenPart: String?,
                       recorded: ([String]) throws -> Void) throws -> [String] {
        let spec = cluster.spec
        let type = try ctx.require("worker_instance_type")
        let instances = try VMClusterPlan.launch(ctx, type: type, zones: "worker_zone_subnets", region: cluster.region,
                                                 tokenPart: tokenPart) { subnet, token in
            RunInstancesRequest(
                imageId: try ctx.require("worker_image_id"), instanceType: type,
                count: count, subnetId: subnet, securityGroupIds: [try ctx.require("security_group_id")],
                instanceProfileArn: try ctx.outputs["worker_instance_profile_arn"] ?? ctx.require("instance_profile_arn"),
                userData: VMInstances.workerUserData(scheduler: try ctx.require("scheduler_address"), cluster: cluster,
                                                     tlsSecret: try ctx.require("tls_secret_arn")),
                clientToken: token, tags: ctx.tags.tags(name: "\(Names.securityGroup(cluster: cluster.id))-worker"),
                spot: spec.spot == true, shutdownBehavior: "terminate")
        }
        let ids = instances.map(\.instanceId)
        try recorded(ids)
        guard ids.count == count else {
            throw RetryableStepError("RunInstances started \(ids.count) of \(count) workers")
        }
        return ids
    }

    /// TerminateInstances, 500 per call; instances already gone count as terminated.
    static func stop(_ ctx: StepContext, ids: [String]) throws {
        for chunk in ids.chunks(of: 500) {
            _ = try tolerate([.notFound]) { try ctx.aws.terminateInstances(ids: chunk) }
        }
    }

    /// `running` is running, `pending` (or not visible yet) starting, anything else failed.
    static func observe(_ ctx: StepContext, ids: [String]) throws -> [String: WorkerObservation] {
        guard !ids.isEmpty else { return [:] }
        var seen: [String: WorkerObservation] = [:]
        for instance in try ctx.aws.describeInstances(ids: ids) {
            seen[instance.instanceId] = switch instance.state {
            case "running": .running
            case "pending": .starting
            default: .failed("instance is \(instance.state) before it ran")
            }
        }
        return Dictionary(uniqueKeysWithValues: ids.map { ($0, seen[$0] ?? .starting) })
    }
}
