import AWS
import Foundation

/// Everything Berth-tagged for one tenant in one region, looked up live with the tenant's own
/// AWS client: instances (not terminated), security groups, the tenant's VPC pieces, the ECS
/// tasks in its ECS cluster, task definitions of Berth's families (`berth-<cluster id>-<role>`)
/// and Secrets Manager secrets. Only what carries `berth:managed` and the tenant's
/// `berth:tenant`, except task definitions without tags, which come back with no tenant (their
/// family names a cluster; whoever uses the list decides whose it is). The shared network
/// (`berth:network=shared`) is no tenant's and is never listed. Used by `berth sweep`; the
/// offboarding can use it to show that nothing of a tenant is left.
public enum TenantInventory {
    public static func list(tenant: Tenant, region: String, aws: AWSClient) throws -> [BerthResource] {
        let tenantTag = tenant.id.uuidString.lowercased()
        let mine = [EC2Filter.tag(Tags.managed, "true"), EC2Filter.tag(Tags.tenant, tenantTag)]
        func item(_ kind: BerthResource.Kind, _ id: String, _ tags: [Tag], _ state: String) -> BerthResource {
            BerthResource(kind: kind, id: id, region: region, tenantId: tenant.id,
                          clusterId: tags.first { $0.key == Tags.cluster }.flatMap { UUID(uuidString: $0.value) }, state: state)
        }
        var found = try aws.describeInstances(filters: mine).filter { $0.state != "terminated" }
            .map { item(.instance, $0.instanceId, $0.tags, $0.state) }
        found += try aws.describeSecurityGroups(filters: mine).map { item(.securityGroup, $0.groupId, $0.tags, "exists") }
        found += try aws.describeVpcs(filters: mine).map { item(.vpc, $0.vpcId, $0.tags, $0.state) }
        found += try aws.describeSubnets(filters: mine).map { item(.subnet, $0.subnetId, $0.tags, "exists") }
        found += try aws.describeInternetGateways(filters: mine).map { item(.internetGateway, $0.internetGatewayId, $0.tags, "exists") }
        found += try aws.describeRouteTables(filters: mine).map { item(.routeTable, $0.routeTableId, $0.tags, "exists") }
        found += try tasks(tenant: tenant, region: region, aws: aws)
        found += try taskDefinitions(tenant: tenant, region: region, aws: aws)
        found += try aws.listSecrets(tagKey: Tags.managed).filter { $0.tag(Tags.tenant) == tenantTag && $0.deletedDate == nil }
            .map { BerthResource(kind: .secret, id: $0.arn, region: region, tenantId: tenant.id,
                                 clusterId: $0.tag(Tags.cluster).flatMap(UUID.init(uuidString:)), state: "exists") }
        return found
    }

    /// Tasks in the tenant's ECS cluster that have not stopped and carry Berth's tags (a task
    /// tagged for another tenant is left out); the cluster from `berth:cluster`, else `startedBy`.
    static func tasks(tenant: Tenant, region: String, aws: AWSClient) throws -> [BerthResource] {
        let ecsCluster = Names.ecsCluster(tenant: tenant.name)
        let arns = try tolerate([.notFound]) { try aws.listTasks(cluster: ecsCluster) } ?? []
        var found: [BerthResource] = []
        for chunk in arns.chunks(of: ECSClusterPlan.describeTasksBatch) {
            for task in try aws.describeTasks(cluster: ecsCluster, tasks: chunk).tasks where task.lastStatus != "STOPPED" {
                let tags = task.tags ?? []
                guard tags.contains(where: { $0.key == Tags.managed && $0.value == "true" }),
                      tags.first(where: { $0.key == Tags.tenant })?.value == tenant.id.uuidString.lowercased() else { continue }
                let cluster = tags.first { $0.key == Tags.cluster }.flatMap { UUID(uuidString: $0.value) }
                    ?? task.startedBy.flatMap(UUID.init(uuidString:))
                found.append(BerthResource(kind: .ecsTask, id: task.taskArn, region: region, tenantId: tenant.id,
                                           clusterId: cluster, state: task.lastStatus ?? "?"))
            }
        }
        return found
    }

    /// Active task definitions of Berth's families (`berth-<cluster id>-<role>`, ECSNames), one
    /// entry per revision: with the tenant when their tags name it, without one when they have
    /// no `berth:tenant` tag, left out when they name another tenant.
    static func taskDefinitions(tenant: Tenant, region: String, aws: AWSClient) throws -> [BerthResource] {
        var found: [BerthResource] = []
        let families = try aws.listTaskDefinitionFamilies(prefix: "berth-").filter { clusterOfFamily($0) != nil }
        for family in families {
            for arn in try aws.listTaskDefinitions(familyPrefix: family) {
                guard let cluster = clusterOfFamily(arn),
                      let described = try tolerate([.notFound, .invalidInput], { try aws.describeTaskDefinitionTags(arn) }),
                      described.definition.status != "INACTIVE" else { continue }
                let owner = described.tags.first { $0.key == Tags.tenant }?.value
                if let owner, owner != tenant.id.uuidString.lowercased() { continue }
                found.append(BerthResource(kind: .taskDefinition, id: arn, region: region, tenantId: owner == nil ? nil : tenant.id,
                                           clusterId: cluster, state: "ACTIVE"))
            }
        }
        return found
    }

    /// The cluster id in a task definition ARN or family `berth-<uuid>-<role>[:revision]`.
    static func clusterOfFamily(_ arn: String) -> UUID? {
        let family = arn.split(separator: "/").last.map { String($0.prefix { $0 != ":" }) } ?? arn
        guard family.hasPrefix("berth-") else { return nil }
        return UUID(uuidString: String(family.dropFirst("berth-".count).prefix(36)))
    }
}
