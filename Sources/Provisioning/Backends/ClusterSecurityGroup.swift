import AWS
import Foundation

/// Each cluster's own security group (either backend): everything within the cluster; the
/// Dask scheduler and dashboard ports only from the spec's `ingress_cidrs`, by default the
/// VPC (an open Dask scheduler runs anyone's code). Idempotent by name within the VPC.
enum ClusterSecurityGroup {
    static func step(cluster: Cluster) -> Step {
        let spec = cluster.spec
        return Step("security_group", .create) { ctx in
            let vpc = try ctx.require("vpc_id")
            let name = Names.securityGroup(cluster: cluster.id)
            var groupId: String?
            if ctx.resumed {
                groupId = try ctx.aws.describeSecurityGroups(filters: [EC2Filter("vpc-id", vpc), EC2Filter("group-name", name)]).first?.groupId
            }
            if groupId == nil {
                groupId = try tolerate([.alreadyExists]) {
                    try ctx.aws.createSecurityGroup(name: name, description: "Berth Dask cluster \(cluster.tenant)/\(cluster.name)",
                                                    vpcId: vpc, tags: ctx.tags.tags(name: name))
                } ?? ctx.aws.describeSecurityGroups(filters: [EC2Filter("vpc-id", vpc), EC2Filter("group-name", name)]).first?.groupId
            }
            guard let group = groupId else { throw StepFailure("security group \(name) was created but cannot be found") }
            let vpcCidr = try ctx.require("vpc_cidr")
            let sources = spec.ingressCidrs ?? [vpcCidr]
            try tolerate([.alreadyExists]) {
                try ctx.aws.authorizeSecurityGroupIngress(groupId: group, permissions: [
                    IpPermission(ipProtocol: "-1", fromPort: nil, toPort: nil, sourceGroupIds: [group], description: "within the cluster"),
                    IpPermission(fromPort: DaskScheduler.port, toPort: DaskScheduler.dashboardPort, cidrs: sources, description: "Dask scheduler and dashboard"),
                ])
            }
            return .done(["security_group_id": group])
        }
    }

    /// Deletes the cluster's security groups (found by tag). DependencyViolation means network
    /// interfaces of stopped tasks or terminated instances are still going: look again later.
    static func deleteStep(cluster: Cluster) -> Step {
        Step("delete.security_group", .check) { ctx in
            let groups = try ctx.aws.describeSecurityGroups(filters: [
                .tag(Tags.cluster, cluster.id.uuidString.lowercased()), .tag(Tags.managed, "true"),
            ])
            for group in groups {
                // DependencyViolation: network interfaces of stopped tasks take a while to go.
                let failure = try expectedFailure([.notFound, .dependencyViolation]) { try ctx.aws.deleteSecurityGroup(id: group.groupId) }
                if failure == .dependencyViolation {
                    return .wait(seconds: ctx.pollInterval, reason: "network interfaces to release security group \(group.groupId)")
                }
            }
            return .done(["security_groups_deleted": "\(groups.count)"])
        }
    }
}
