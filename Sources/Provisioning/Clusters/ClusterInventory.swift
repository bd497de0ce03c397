import AWS
import Foundation
import Postgres

/// What exists in AWS for a cluster right now, looked up live: security groups and instances
/// by the `berth:cluster` tag (whatever the backend, so a stray of any kind shows), its TLS
/// secret by name, then what its backend finds (ECS tasks by `startedBy`, task definitions by
/// family). Used by `berth cluster resources` and to show that a delete left nothing behind.
public enum ClusterInventory {
    public struct Resource: Sendable, Codable, Equatable {
        public var kind: String
        public var id: String
        public var state: String
    }

    public static func list(cluster: Cluster, aws: AWSClient) throws -> [Resource] {
        let tag = EC2Filter.tag(Tags.cluster, cluster.id.uuidString.lowercased())
        var found = try aws.describeSecurityGroups(filters: [tag]).map { Resource(kind: "security group", id: $0.groupId, state: "exists") }
        found += try aws.describeInstances(filters: [tag]).filter { $0.state != "terminated" }
            .map { Resource(kind: "instance", id: $0.instanceId, state: $0.state) }
        if let secret = try tolerate([.notFound], { try aws.describeSecret(ClusterTLSSecret.name(cluster: cluster)) }), secret.deletedDate == nil {
            found.append(Resource(kind: "secret", id: secret.arn, state: "exists"))
        }
        return found + (try cluster.backend.implementation.inventory(of: cluster, aws: aws))
    }

    /// The same, with the tenant's own AWS client (the operator's view, from the CLI).
    public static func list(cluster: Cluster, connection: Connection, settings: ProvisioningSettings) throws -> [Resource] {
        let access: TenantAccess
        do {
            access = try TenantAccess.open(tenantId: cluster.tenantId, region: cluster.region, store: TenantStore(connection), settings: settings)
        } catch let failure as TenantAccess.Failure {
            if case .tenantGone = failure { throw ProvisioningError.notFound("tenant \(cluster.tenant) no longer exists") }
            throw ProvisioningError.failed(failure.description)
        }
        return try list(cluster: cluster, aws: access.aws)
    }
}
