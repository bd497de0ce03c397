import Foundation
import Postgres

/// A row of `berth.clusters`.
public struct Cluster: Sendable, Encodable {
    public var id: UUID
    public var tenantId: UUID
    public var tenant: String
    public var name: String
    public var state: ClusterState
    public var desired: DesiredState
    public var error: String?
    public var backend: Backend
    public var region: String
    public var spec: ClusterSpec
    public var schedulerAddress: String?
    public var schedulerPublicAddress: String?
    public var activeJob: Int64?
    public var createJob: Int64?
    public var deleteJob: Int64?
    public var keepError: Bool
    /// Why a cluster that stopped by itself stopped (`idle for 20m`, `lifetime 8h reached`).
    public var stopReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    /// The JSON keys are the columns' names (`berth cluster list|show --json`).
    enum CodingKeys: String, CodingKey {
        case id, tenantId = "tenant_id", tenant, name, state, desired, error, backend, region, spec,
             schedulerAddress = "scheduler_address", schedulerPublicAddress = "scheduler_public_address",
             activeJob = "active_job", createJob = "create_job", deleteJob = "delete_job", keepError = "keep_error",
             stopReason = "stop_reason", createdAt = "created_at", updatedAt = "updated_at",
             daskImage = "dask_image", workerDaskImage = "worker_dask_image", dashboardURL = "dashboard_url"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(uuid: id, forKey: .id)
        try c.encode(uuid: tenantId, forKey: .tenantId)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(name, forKey: .name)
        try c.encode(state, forKey: .state)
        try c.encode(desired, forKey: .desired)
        try c.encode(error, forKey: .error)
        try c.encode(backend, forKey: .backend)
        try c.encode(region, forKey: .region)
        try c.encode(spec, forKey: .spec)
        try c.encode(schedulerAddress, forKey: .schedulerAddress)
        try c.encode(schedulerPublicAddress, forKey: .schedulerPublicAddress)
        try c.encode(daskImage, forKey: .daskImage)
        try c.encode(workerDaskImage, forKey: .workerDaskImage)
        try c.encode(dashboardURL, forKey: .dashboardURL)
        try c.encode(activeJob, forKey: .activeJob)
        try c.encode(createJob, forKey: .createJob)
        try c.encode(deleteJob, forKey: .deleteJob)
        try c.encode(keepError, forKey: .keepError)
        try c.encode(stopReason, forKey: .stopReason)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }

    var scope: String { "cluster:\(id.uuidString.lowercased())" }
    var events: EventTarget { EventTarget(tenant: tenant, clusterId: id, clusterName: name) }
}

extension Cluster {
    init(row: Row) throws {
        id = try row.decode("id")
        tenantId = try row.decode("tenant_id")
        tenant = try row.decode("tenant")
        name = try row.decode("name")
        state = try row.decode("state", as: ClusterState.self)
        desired = try row.decode("desired", as: DesiredState.self)
        error = try row.decodeIfPresent("error")
        backend = try row.decode("backend", as: Backend.self)
        region = try row.decode("region")
        let specText: JSONText = try row.decode("spec")
        spec = try ClusterSpec.decode(specText.text)
        schedulerAddress = try row.decodeIfPresent("scheduler_address")
        schedulerPublicAddress = try row.decodeIfPresent("scheduler_public_address")
        activeJob = try row.decodeIfPresent("active_job")
        createJob = try row.decodeIfPresent("create_job")
        deleteJob = try row.decodeIfPresent("delete_job")
        keepError = try row.decode("keep_error")
        stopReason = try row.decodeIfPresent("stop_reason")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }
}
