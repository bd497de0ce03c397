import AWS
import Foundation

/// Deletes a VM cluster: terminate every instance tagged for the cluster, wait until they are
/// terminated (their network interfaces go with them), remove the workers' instance profile if
/// the cluster had one, then delete the security group.
enum VMTeardownPlan {
    static func steps(cluster: Cluster) -> [Step] {
        let filters = [EC2Filter.tag(Tags.cluster, cluster.id.uuidString.lowercased()), EC2Filter.tag(Tags.managed, "true"),
                       EC2Filter("instance-state-name", ["pending", "running", "stopping", "stopped", "shutting-down"])]
        return [
            ClusterTeardown.settleStep,
            Step("delete.terminate_instances", .check) { ctx in
                let ids = try ctx.aws.describeInstances(filters: filters).filter { $0.state != "shutting-down" }.map(\.instanceId)
                for chunk in ids.chunks(of: 500) {
                    _ = try tolerate([.notFound]) { try ctx.aws.terminateInstances(ids: chunk) }
                }
                return .done(["instances_terminated": "\(ids.count)"])
            },
            Step("delete.instances_terminated", .check) { ctx in
                let left = try ctx.aws.describeInstances(filters: filters)
                if !left.isEmpty { return .wait(seconds: ctx.pollInterval, reason: "\(left.count) instances to terminate") }
                return .done([:])
            },
            // The workers' instance profile, when the cluster had a worker role (none: nothing to do).
            Step("delete.worker_instance_profile", .check) { ctx in
                try InstanceProfiles.remove(ctx.aws, name: Names.workerInstanceProfile(cluster: cluster.id))
                return .done([:])
            },
            ClusterTLSSecret.deleteStep(cluster: cluster),
            ClusterSecurityGroup.deleteStep(cluster: cluster),
        ]
    }
}
