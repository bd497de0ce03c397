import AWS
import Foundation

/// Each cluster's own security group (either backend): everything within the cluster; the
/// Dask scheduler and dashboard ports from the spec's `ingress_cidrs`, and by default from the
/// VPC in a tenant's own network but from nothing else in a network the managed tenants share
/// (there the VPC holds other tenants' clusters; an open Dask scheduler runs anyone's code).
/// Idempotent by name within the VPC.
enum ClusterSecurityGroup {
    static func step(cluster: Cluster) -> Step {
        let spec = cluster.spec
        return Step("security_group", .create) { ctx in
            let vpc = try ctx.require("vpc_id")
            let name = Names.securityGroup(cluster: cluster.id)
            let byName = { try ctx.aws.describeSecurityGroups(filters: [EC2Filter("vpc-id", vpc), EC2Filter("group-name", name)]).first?.groupId }
            var groupId = ctx.current["security_group_id"]
            if groupId == nil, ctx.resumed { groupId = try byName() }
            if groupId == nil {
                groupId = try tolerate([.alreadyExists]) {
                    try ctx.aws.createSecurityGroup(name: name, description: "Berth Dask cluster \(cluster.tenant)/\(cluster.name)",
                                                    vpcId: vpc, tags: ctx.tags.tags(name: name))
                }
                if groupId == nil { groupId = try byName() }
            }
            // The name is taken in this VPC, so an earlier attempt made the group: describes show it after a while.
            guard let group = groupId else {
                throw StepPending("security group \(name), which an earlier attempt made, to show in describes",
                                  deadline: ctx.settings.visibilityDeadline)
            }
            ctx.remember(["security_group_id": group])
            var permissions = [IpPermission(ipProtocol: "-1", fromPort: nil, toPort: nil, sourceGroupIds: [group], description: "within the cluster")]
            let vpcCidr = try ctx.require("vpc_cidr")
            let sources = spec.ingressCidrs ?? (ctx.outputs["vpc_shared"] == "true" ? [] : [vpcCidr])
            if !sources.isEmpty {
                permissions.append(IpPermission(fromPort: DaskScheduler.port, toPort: DaskScheduler.dashboardPort, cidrs: sources,
                                                description: "Dask scheduler and dashboard"))
            }
            try tolerate([.alreadyExists]) { try ctx.aws.authorizeSecurityGroupIngress(groupId: group, permissions: permissions) }
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
                    // They can take minutes: looks thin out as the wait grows (StepDecisions.pendingSnooze).
                    throw StepPending("network interfaces to release security group \(group.groupId)")
                }
            }
            return .done(["security_groups_deleted": "\(groups.count)"])
        }
    }
}
