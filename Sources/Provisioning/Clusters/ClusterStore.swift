import Foundation
import Postgres

/// Clusters through the SQL API (`berth.create_cluster` / `berth.scale_cluster` / `berth.delete_cluster`) and reads.
public struct ClusterStore {
    public let connection: Connection

    public init(_ connection: Connection) {
        self.connection = connection
    }

    /// Validates the spec, writes the cluster, its job and a first event in one transaction.
    /// Bad input: `PostgresError` with SQLSTATE 22023 and a message saying what is allowed.
    public func create(tenant: String, name: String, spec: JSONText = JSONText("{}")) throws -> UUID {
        try connection.queryRow(ProvisioningSQL.createCluster, [tenant, name, spec])!.decode("id")
    }

    /// `create` from a request's layers (see `ClusterRequest`), merged in the database.
    public func create(_ request: ClusterRequest) throws -> UUID {
        // A back-office role may not read berth.tenants. Then ecs is assumed, and a configured
        // fargate_spot reaches a vm tenant's request, which the SQL API refuses saying why.
        let tenantBackend = (try? TenantStore(connection).get(name: request.tenant))??.defaultBackend
        let layers = request.layers(tenantBackend: tenantBackend)
        return try connection.queryRow(ProvisioningSQL.createClusterLayered, [
            request.tenant, request.name, JSONText(request.spec), layers.defaults, layers.overrides,
        ])!.decode("id")
    }

    public func delete(tenant: String, name: String) throws -> UUID {
        try connection.queryRow(ProvisioningSQL.deleteCluster, [tenant, name])!.decode("id")
    }

    /// Resizes a live cluster (`berth.scale_cluster`): bad input 22023, a cluster in another
    /// state than `ready`, `scaling` or `degraded` 55000, over a quota 53400; the same count is a no-op.
    public func scale(tenant: String, name: String, workers: Int) throws -> UUID {
        try connection.queryRow(ProvisioningSQL.scaleCluster, [tenant, name, Int32(clamping: workers)])!.decode("id")
    }

    public func get(id: UUID) throws -> Cluster? {
        try connection.queryRow(ProvisioningSQL.clusterById, [id]).map(Cluster.init(row:))
    }

    /// The live cluster of that name, else the latest stopped one.
    public func get(tenant: String, name: String) throws -> Cluster? {
        try connection.queryRow(ProvisioningSQL.clusterByName, [tenant, name]).map(Cluster.init(row:))
    }

    public func list(tenant: String? = nil, includeStopped: Bool = false, limit: Int = 100) throws -> [Cluster] {
        try connection.query(ProvisioningSQL.listClusters, [tenant, includeStopped, limit]).map(Cluster.init(row:))
    }
}
