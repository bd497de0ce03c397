import AWS
import Foundation
import Postgres

/// What exists in AWS for a cluster right now, looked up live: security groups and instances
/// by the `berth:cluster` tag, ECS tasks by `startedBy`, task definitions by family. Used by
/// `berth cluster resources` and to show that a delete left nothing behind.
public enum ClusterInventory {
    public struct Resource: Sendable, Codable {
        public var kind: String
        public var id: String
        public var state: String
    }

    public static func list(cluster: Cluster, aws: AWSClient) throws -> [Resource] {
        let tag = EC2Filter.tag(Tags.cluster, cluster.id.uuidString.lowercased())
        var found = try aws.describeSecurityGroups(filters: [tag]).map { Resource(kind: "security group", id: $0.groupId, state: "exists") }
        found += try aws.describeInstances(filters: [tag]).filter { $0.state != "terminated" }
            .map { Resource(kind: "instance", id: $0.instanceId, state: $0.state) }
        if cluster.backend == "ecs" {
            let ecsCluster = Names.ecsCluster(tenant: cluster.tenant)
            let arns = try tolerate([.notFound]) { try aws.listTasks(cluster: ecsCluster, startedBy: Names.startedBy(cluster: cluster.id)) } ?? []
            for chunk in arns.chunks(of: 100) {
                found += try aws.describeTasks(cluster: ecsCluster, tasks: chunk).tasks.filter { $0.lastStatus != "STOPPED" }
                    .map { Resource(kind: "ecs task", id: $0.taskArn, state: $0.lastStatus ?? "?") }
            }
            for role in ["scheduler", "worker"] {
                if let definition = try tolerate([.notFound, .invalidInput], { try aws.describeTaskDefinition(Names.taskFamily(cluster: cluster.id, role: role)) }),
                   definition.status == "ACTIVE" {
                    found.append(Resource(kind: "task definition", id: definition.taskDefinitionArn, state: "ACTIVE"))
                }
            }
        }
        return found
    }

    /// The AWS client for a cluster's tenant (the operator's view, from the CLI).
    public static func awsClient(for cluster: Cluster, connection: Connection, settings: ProvisioningSettings) throws -> AWSClient {
        let store = TenantStore(connection)
        guard let tenant = try store.get(id: cluster.tenantId) else { throw ProvisioningError.notFound("tenant \(cluster.tenant) no longer exists") }
        do { return try settings.awsClient(for: tenant, region: cluster.region, store: store) } catch let error as StepFailure {
            throw ProvisioningError.failed(error.message)
        } catch let error as MissingMasterKey {
            throw ProvisioningError.failed(error.description)
        }
    }
}
