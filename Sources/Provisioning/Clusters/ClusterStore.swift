import Foundation
import Postgres

/// Clusters through the SQL API (`berth.create_cluster` / `berth.delete_cluster`) and reads.
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

    /// `create` with the spec merged in the database: `defaults` fill the keys `spec` lacks and
    /// `overrides` replace keys. The spec stays text until Postgres parses it, so any valid
    /// JSON reaches the SQL API's checks (a number no Double can hold, such as 1e400, too).
    public func create(tenant: String, name: String, spec: JSONText, defaults: JSONText, overrides: JSONText) throws -> UUID {
        try connection.queryRow(ProvisioningSQL.createClusterLayered, [tenant, name, spec, defaults, overrides])!.decode("id")
    }

    public func delete(tenant: String, name: String) throws -> UUID {
        try connection.queryRow(ProvisioningSQL.deleteCluster, [tenant, name])!.decode("id")
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
