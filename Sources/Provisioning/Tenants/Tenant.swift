import Foundation
import Postgres

/// A customer of the service: where its clusters run (the service's AWS account or its own)
/// and its defaults. The secret never leaves the row unsealed except inside a worker.
public struct Tenant: Sendable, Codable {
    public enum AWSMode: String, Sendable, Codable { case managed, own }

    public var id: UUID
    public var name: String
    public var awsMode: AWSMode
    public var accessKeyId: String?
    public var awsAccountId: String?
    public var defaultBackend: String
    public var defaultRegion: String?
    public var defaultFargateSpot: Bool?
    public var gpuAccess: Bool
    public var createdAt: Date
    /// Base64 of the sealed secret and the id of the key that sealed it; not shown in output.
    var sealedSecret: String?
    var secretKeyId: String?

    public var hasCredentials: Bool { sealedSecret != nil }

    enum CodingKeys: String, CodingKey {
        case id, name, awsMode = "aws_mode", accessKeyId = "access_key_id", awsAccountId = "aws_account_id",
             defaultBackend = "default_backend", defaultRegion = "default_region",
             defaultFargateSpot = "default_fargate_spot", gpuAccess = "gpu_access", createdAt = "created_at"
    }

    init(row: Row) throws {
        id = try row.decode("id")
        name = try row.decode("name")
        awsMode = AWSMode(rawValue: try row.decode("aws_mode")) ?? .managed
        accessKeyId = try row.decodeIfPresent("access_key_id")
        awsAccountId = try row.decodeIfPresent("aws_account_id")
        defaultBackend = try row.decode("default_backend")
        defaultRegion = try row.decodeIfPresent("default_region")
        defaultFargateSpot = try row.decodeIfPresent("default_fargate_spot")
        gpuAccess = try row.decode("gpu_access")
        createdAt = try row.decode("created_at")
        sealedSecret = try row.decodeIfPresent("secret_base64")
        secretKeyId = try row.decodeIfPresent("secret_key_id")
    }

    /// Binds a sealed secret to this tenant and its key id.
    static func associatedData(tenantId: UUID, accessKeyId: String) -> [UInt8] {
        Array("berth-tenant-secret:\(tenantId.uuidString.lowercased()):\(accessKeyId)".utf8)
    }
}
