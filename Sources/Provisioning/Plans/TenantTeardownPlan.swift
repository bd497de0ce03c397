import AWS
import Foundation

/// What offboarding (`tenant.delete`) removes once the tenant's clusters are gone, in dependency
/// order: per region what escaped its clusters' deletes (the sweep's orphans), its ECS cluster,
/// log group and repository and, where the tenant has a VPC network of its own, that network,
/// then an inventory by tag that must find nothing; then (IAM is global) its instance profile and roles. Never
/// the ECS service-linked role (the account's, not the tenant's) and never the network the
/// managed tenants share: its resources carry `berth:network=shared` and no `berth:tenant`, and
/// the VPC steps find what they delete by the tenant's tag only.
///
/// Everything is found by name or tag, not from checkpoints, and "not found" counts as done, so
/// a step run again after a crash (or after a partitioned worker's late call) finishes the job.
enum TenantTeardownPlan {
    static func regionScope(tenantId: UUID, region: String) -> String { "tenant-delete:\(tenantId.uuidString.lowercased()):\(region)" }
    static func iamScope(tenantId: UUID) -> String { "tenant-delete:\(tenantId.uuidString.lowercased())" }

    static func regionPlan(tenantId: UUID, tenant: String, region: String) -> Plan {
        Plan(scope: regionScope(tenantId: tenantId, region: region), steps: [
            Step("sweep.orphans", .check) { ctx in
                // Every cluster of the tenant is stopped by now (the job waited for it), so what
                // still carries one of its clusters' tags escaped a delete (a crash in a bad
                // place, a manual change): removed as `berth sweep --apply` would, before the
                // ECS cluster and the network that would otherwise wait on it.
                guard let tenant = try ctx.job.withConnection({ try TenantStore($0).get(id: tenantId) }) else { return .done([:]) }
                let borrow: OrphanSweep.Borrow = { work in try ctx.job.withConnection { try work($0) } }
                let orphans = try OrphanSweep.find(tenant: tenant, region: region, aws: ctx.aws, borrow: borrow)
                if orphans.isEmpty { return .done([:]) }
                _ = try OrphanSweep.apply(orphans, tenant: tenant, aws: ctx.aws, borrow: borrow)
                return .wait(seconds: ctx.pollInterval, reason: "\(orphans.count) orphaned resource(s) of the tenant's clusters to go")
            },
            Step("delete.ecs_cluster", .check) { ctx in
                // AWS refuses while tasks run (the clusters' deletes stopped theirs): wait.
                let name = Names.ecsCluster(tenant: tenant)
                return try waitingOnDependents(ctx, "ECS cluster \(name) to have no tasks") {
                    if try expectedFailure([.notFound], { try ctx.aws.deleteCluster(name) }) == nil { try ctx.note("deleted ECS cluster \(name)") }
                }
            },
            Step("delete.log_group", .check) { ctx in
                let name = Names.logGroup(tenant: tenant)
                if try expectedFailure([.notFound], { try ctx.aws.deleteLogGroup(name: name) }) == nil { try ctx.note("deleted log group \(name)") }
                return .done([:])
            },
            Step("delete.ecr_repository", .check) { ctx in
                // force: the images the tenant pushed go with it.
                let name = Names.repository(tenant: tenant)
                if try expectedFailure([.notFound], { try ctx.aws.deleteRepository(name: name, force: true) }) == nil {
                    try ctx.note("deleted ECR repository \(name)")
                }
                return .done([:])
            },
            Step("delete.route_table", .check) { ctx in
                for table in try ctx.aws.describeRouteTables(filters: made(ctx, by: "route_table")) {
                    for association in table.associations where !association.main {
                        _ = try tolerate([.notFound]) { try ctx.aws.disassociateRouteTable(associationId: association.associationId) }
                    }
                    _ = try tolerate([.notFound]) { try ctx.aws.deleteRouteTable(id: table.routeTableId) }
                }
                return .done([:])
            },
            Step("delete.internet_gateway", .check) { ctx in
                for gateway in try ctx.aws.describeInternetGateways(filters: made(ctx, by: "internet_gateway")) {
                    for attachment in gateway.attachments {
                        _ = try tolerate([.notFound], codes: ["Gateway.NotAttached"]) {
                            try ctx.aws.detachInternetGateway(id: gateway.internetGatewayId, vpcId: attachment.vpcId)
                        }
                    }
                    _ = try tolerate([.notFound]) { try ctx.aws.deleteInternetGateway(id: gateway.internetGatewayId) }
                }
                return .done([:])
            },
            Step("delete.subnets", .check) { ctx in
                // A task's or instance's network interface can outlive it for a while: AWS then
                // answers DependencyViolation, which the engine turns into a wait.
                try waitingOnDependents(ctx, "the subnets' network interfaces to go") {
                    for subnet in try ctx.aws.describeSubnets(filters: made(ctx, by: "subnets")) {
                        _ = try tolerate([.notFound]) { try ctx.aws.deleteSubnet(id: subnet.subnetId) }
                    }
                }
            },
            Step("delete.vpc", .check) { ctx in
                try waitingOnDependents(ctx, "what is left in the VPC to go") {
                    let vpcs = try ctx.aws.describeVpcs(filters: made(ctx, by: "vpc"))
                    for vpc in vpcs {
                        _ = try tolerate([.notFound]) { try ctx.aws.deleteVpc(id: vpc.vpcId) }
                    }
                    if !vpcs.isEmpty {
                        try ctx.note("deleted the tenant's VPC network in \(ctx.aws.region) (\(vpcs.map(\.vpcId).joined(separator: ", ")))")
                    }
                }
            },
            Step("inventory", .check) { ctx in
                // The last look, by tag (TenantInventory, the sweep's): nothing tagged for the
                // tenant may be left in the region. What is (EC2 is eventually consistent) is
                // waited for, up to the step deadline, naming it.
                guard let tenant = try ctx.job.withConnection({ try TenantStore($0).get(id: tenantId) }) else { return .done([:]) }
                let left = try TenantInventory.list(tenant: tenant, region: region, aws: ctx.aws).filter { $0.tenantId == tenant.id }
                guard left.isEmpty else {
                    let named = left.prefix(5).map { "\($0.kind.rawValue) \($0.id)" }.joined(separator: ", ")
                    return .wait(seconds: ctx.pollInterval, reason: "\(left.count) resource(s) still tagged for the tenant in \(region) to go (\(named))")
                }
                try ctx.note("inventory by tag in \(region): nothing tagged for tenant \(tenant.name) is left")
                return .done([:])
            },
        ])
    }

    static func iamPlan(tenantId: UUID, tenant: String) -> Plan {
        Plan(scope: iamScope(tenantId: tenantId), steps: [
            Step("delete.instance_profile", .check) { ctx in
                try InstanceProfiles.remove(ctx.aws, name: Names.instanceProfile(tenant: tenant))
                return .done([:])
            },
            Step("delete.instance_role", .check) { ctx in
                try deleteRole(ctx, name: Names.instanceRole(tenant: tenant))
            },
            Step("delete.execution_role", .check) { ctx in
                try deleteRole(ctx, name: Names.executionRole(tenant: tenant))
            },
        ])
    }

    /// EC2 filters for what the tenant's network plan made in this step: the tenant's tag, so
    /// the shared network (tagged `berth:network=shared`, no `berth:tenant`) never matches.
    private static func made(_ ctx: StepContext, by step: String) -> [EC2Filter] {
        var filters = ctx.tags.filters.filter { $0.name != "tag:\(Tags.step)" }
        filters.append(.tag(Tags.step, step))
        return filters
    }

    /// ECS codes for a cluster that still holds tasks, services or container instances.
    private static let ecsClusterBusy: Set<String> = [
        "ClusterContainsTasksException", "ClusterContainsServicesException", "ClusterContainsContainerInstancesException",
    ]

    /// Runs a delete; AWS refusing because something still depends on it (`DependencyViolation`:
    /// an ENI draining; an ECS cluster's last tasks stopping) is a wait, never a failure.
    private static func waitingOnDependents(_ ctx: StepContext, _ what: String, _ body: () throws -> Void) throws -> StepOutcome {
        do {
            try body()
            return .done([:])
        } catch let error as AWSError where error.classification == .dependencyViolation || ecsClusterBusy.contains(error.code) {
            return .wait(seconds: ctx.pollInterval, reason: "\(what) (\(error.code))")
        }
    }

    /// Detaches its managed policies, then deletes the role. Berth puts no inline policy on its
    /// roles; one added by hand makes AWS refuse the delete (`DeleteConflict`), which the job
    /// reports rather than removing what someone else wrote.
    private static func deleteRole(_ ctx: StepContext, name: String) throws -> StepOutcome {
        guard let attached = try tolerate([.notFound], { try ctx.aws.listAttachedRolePolicies(roleName: name) }) else { return .done([:]) }
        for arn in attached {
            _ = try tolerate([.notFound]) { try ctx.aws.detachRolePolicy(roleName: name, policyArn: arn) }
        }
        if try expectedFailure([.notFound], { try ctx.aws.deleteRole(name: name) }) == nil { try ctx.note("deleted IAM role \(name)") }
        return .done([:])
    }
}
