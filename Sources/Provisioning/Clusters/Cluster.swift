import Foundation
import Postgres

/// A row of `berth.clusters`.
public struct Cluster: Sendable, Codable {
    public var id: UUID
    public var tenantId: UUID
    public var tenant: String
    public var name: String
    public var state: String
    public var desired: String
    public var error: String?
    public var backend: String
    public var region: String
    public var spec: ClusterSpec
    public var schedulerAddress: String?
    public var schedulerPublicAddress: String?
    public var activeJob: Int64?
    public var createJob: Int64?
    public var deleteJob: Int64?
    public var keepError: Bool
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, tenantId = "tenant_id", tenant, name, state, desired, error, backend, region, spec,
             schedulerAddress = "scheduler_address", schedulerPublicAddress = "scheduler_public_address",
             activeJob = "active_job", createJob = "create_job", deleteJob = "delete_job", keepError = "keep_error",
             createdAt = "created_at", updatedAt = "updated_at"
    }

    init(row: Row) throws {
        id = try row.decode("id")
        tenantId = try row.decode("tenant_id")
        tenant = try row.decode("tenant")
        name = try row.decode("name")
        state = try row.decode("state")
        desired = try row.decode("desired")
        error = try row.decodeIfPresent("error")
        backend = try row.decode("backend")
        region = try row.decode("region")
        let specText: JSONText = try row.decode("spec")
        spec = try ClusterSpec.decode(specText.text)
        schedulerAddress = try row.decodeIfPresent("scheduler_address")
        schedulerPublicAddress = try row.decodeIfPresent("scheduler_public_address")
        activeJob = try row.decodeIfPresent("active_job")
        createJob = try row.decodeIfPresent("create_job")
        deleteJob = try row.decodeIfPresent("delete_job")
        keepError = try row.decode("keep_error")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }

    var scope: String { "cluster:\(id.uuidString.lowercased())" }
    var events: EventTarget { EventTarget(tenant: tenant, clusterId: id, clusterName: name) }
}
