import AWS
import Foundation

/// Per (tenant, region), built once and shared by the tenant's clusters there, whichever VPC
/// network they use: the ECS cluster (FARGATE and FARGATE_SPOT), the log group (30 days) and
/// the ECR repository. All three are idempotent by name.
enum TenantRegionPlan {
    /// The scope the tenant's whole network had before VPC networks were shared: a network
    /// built then resumes here.
    static func scope(tenantId: UUID, region: String) -> String { "network:\(tenantId.uuidString.lowercased()):\(region)" }

    static func plan(tenant: Tenant, region: String) -> Plan {
        Plan(scope: scope(tenantId: tenant.id, region: region), steps: [
            Step("ecs_cluster", .create) { ctx in
                // CreateCluster is idempotent by name. A new account's ECS service-linked role may
                // not be usable yet: the engine waits for it (StepDecisions.pending).
                let cluster = try ctx.aws.createCluster(name: Names.ecsCluster(tenant: tenant.name),
                                                        defaultStrategy: [CapacityProviderStrategyItem(capacityProvider: "FARGATE")],
                                                        tags: ctx.tags.tags(name: Names.ecsCluster(tenant: tenant.name)))
                return .done(["ecs_cluster": cluster.clusterName, "ecs_cluster_arn": cluster.clusterArn])
            },
            Step("log_group", .create) { ctx in
                let group = Names.logGroup(tenant: tenant.name)
                try tolerate([.alreadyExists]) { try ctx.aws.createLogGroup(name: group, tags: ctx.tags.tags(name: group)) }
                try ctx.aws.putRetentionPolicy(logGroupName: group, days: 30)
                return .done(["log_group": group])
            },
            Step("ecr_repository", .create) { ctx in
                let repository = Names.repository(tenant: tenant.name)
                if let created = try tolerate([.alreadyExists], { try ctx.aws.createRepository(name: repository, tags: ctx.tags.tags(name: repository)) }) {
                    return .done(["ecr_repository_uri": created.repositoryUri])
                }
                let found = try ctx.aws.describeRepositories(names: [repository]).first
                return .done(["ecr_repository_uri": found?.repositoryUri ?? repository])
            },
        ])
    }
}
