import Foundation
import Postgres

/// A customer of the service: where its clusters run (the service's AWS account or its own)
/// and its defaults. The secret never leaves the row unsealed except inside a worker.
public struct Tenant: Sendable, Encodable {
    public enum AWSMode: String, TextEnum {
        case managed, own
        public static let noun = "AWS mode"
    }

    /// Its lifecycle (docs/tenants.md#offboarding): `deleting` from `berth.delete_tenant` on
    /// (no new clusters), `deleted` once nothing of it is left in AWS and its key is destroyed;
    /// the row stays as a tombstone.
    public enum State: String, TextEnum {
        case active, deleting, deleted
        public static let noun = "tenant state"
    }

    public var id: UUID
    public var name: String
    public var awsMode: AWSMode
    public var accessKeyId: String?
    public var awsAccountId: String?
    public var defaultBackend: Backend
    public var defaultRegion: String?
    public var defaultFargateSpot: Bool?
    public var gpuAccess: Bool
    public var state: State
    /// The `tenant.delete` job, once offboarding started.
    public var deleteJob: Int64?
    public var deletedAt: Date?
    /// The IAM role its clusters' workers run with unless a spec names another (`WorkerRole`).
    public var workerRoleArn: String?
    public var createdAt: Date
    /// Base64 of the sealed secret and the id of the key that sealed it; not shown in output.
    var sealedSecret: String?
    var secretKeyId: String?

    public var hasCredentials: Bool { sealedSecret != nil }

    /// The JSON keys are the columns' names (`berth tenant list --json`); the sealed secret and
    /// its key id are never part of it.
    enum CodingKeys: String, CodingKey {
        case id, name, awsMode = "aws_mode", accessKeyId = "access_key_id", awsAccountId = "aws_account_id",
             defaultBackend = "default_backend", defaultRegion = "default_region",
             defaultFargateSpot = "default_fargate_spot", gpuAccess = "gpu_access", state, deleteJob = "delete_job", deletedAt = "deleted_at", workerRoleArn = "worker_role_arn",
             hasCredentials = "has_credentials",
             createdAt = "created_at"
    }

    init(row: Row) throws {
        id = try row.decode("id")
        name = try row.decode("name")
        awsMode = try row.decode("aws_mode", as: AWSMode.self)
        accessKeyId = try row.decodeIfPresent("access_key_id")
        awsAccountId = try row.decodeIfPresent("aws_account_id")
        defaultBackend = try row.decode("default_backend", as: Backend.self)
        defaultRegion = try row.decodeIfPresent("default_region")
        defaultFargateSpot = try row.decodeIfPresent("default_fargate_spot")
        gpuAccess = try row.decode("gpu_access")
        state = try row.decode("state", as: State.self)
        deleteJob = try row.decodeIfPresent("delete_job")
        deletedAt = try row.decodeIfPresent("deleted_at")
        workerRoleArn = try row.decodeIfPresent("worker_role_arn")
        createdAt = try row.decode("created_at")
        sealedSecret = try row.decodeIfPresent("secret_base64")
        secretKeyId = try row.decodeIfPresent("secret_key_id")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(uuid: id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(awsMode, forKey: .awsMode)
        try c.encode(accessKeyId, forKey: .accessKeyId)
        try c.encode(awsAccountId, forKey: .awsAccountId)
        try c.encode(defaultBackend, forKey: .defaultBackend)
        try c.encode(defaultRegion, forKey: .defaultRegion)
        try c.encode(defaultFargateSpot, forKey: .defaultFargateSpot)
        try c.encode(gpuAccess, forKey: .gpuAccess)
        try c.encode(state, forKey: .state)
        try c.encode(deleteJob, forKey: .deleteJob)
        try c.encode(deletedAt, forKey: .deletedAt)
        try c.encode(workerRoleArn, forKey: .workerRoleArn)
        try c.encode(hasCredentials, forKey: .hasCredentials)
        try c.encode(createdAt, forKey: .createdAt)
    }

    /// Binds a sealed secret to this tenant and its key id.
    static func associatedData(tenantId: UUID, accessKeyId: String) -> [UInt8] {
        Array("berth-tenant-secret:\(tenantId.uuidString.lowercased()):\(accessKeyId)".utf8)
    }
}
