import AWS
import Foundation
import Postgres

/// Tenants in the database: creation, listing, sealed credentials and key rotation.
public struct TenantStore {
    public let connection: Connection

    public init(_ connection: Connection) {
        self.connection = connection
    }

    public struct NewTenant: Sendable {
        public var name: String
        public var mode: Tenant.AWSMode = .managed
        public var defaultBackend = "ecs"
        public var defaultRegion: String?
        public var defaultFargateSpot: Bool?
        public var gpuAccess = false

        public init(name: String) { self.name = name }

        /// What the table would refuse, said in words, before anything is written.
        public func validate() throws(ProvisioningError) {
            if name.range(of: #"^[a-z][a-z0-9-]{0,30}[a-z0-9]$"#, options: .regularExpression) == nil {
                throw .invalid("tenant name \"\(name)\" is not allowed: use 2-32 lowercase letters, digits and dashes, starting with a letter")
            }
            if !["ecs", "vm"].contains(defaultBackend) {
                throw .invalid("backend must be ecs or vm, got \"\(defaultBackend)\"")
            }
            if let region = defaultRegion, !Regions.supported.contains(region) {
                throw .invalid("region \(region) is not supported; supported regions: \(Regions.supported.joined(separator: ", "))")
            }
            if defaultFargateSpot == true && defaultBackend == "vm" {
                throw .invalid("--fargate-spot applies to the ecs backend only")
            }
        }
    }

    @discardableResult
    public func create(_ tenant: NewTenant) throws -> Tenant {
        try tenant.validate()
        do {
            let row = try connection.queryRow(ProvisioningSQL.createTenant, [
                tenant.name, tenant.mode.rawValue, tenant.defaultBackend, tenant.defaultRegion, tenant.defaultFargateSpot, tenant.gpuAccess,
            ])
            return try Tenant(row: row!)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw ProvisioningError.invalid("a tenant named \(tenant.name) exists already")
        }
    }

    public func get(name: String) throws -> Tenant? {
        try connection.queryRow(ProvisioningSQL.tenantByName, [name]).map(Tenant.init(row:))
    }

    public func get(id: UUID) throws -> Tenant? {
        try connection.queryRow(ProvisioningSQL.tenantById, [id]).map(Tenant.init(row:))
    }

    public func require(name: String) throws -> Tenant {
        guard let tenant = try get(name: name) else {
            throw ProvisioningError.invalid("unknown tenant \"\(name)\" (see `berth tenant list`)")
        }
        return tenant
    }

    public func list() throws -> [Tenant] {
        try connection.query(ProvisioningSQL.listTenants).map(Tenant.init(row:))
    }

    /// Seals and stores a tenant's long-lived key. The caller checks the key first
    /// (`CredentialCheck`); this only refuses what can never work.
    public func setCredentials(tenant: Tenant, credentials: AWSCredentials, accountId: String?, keys: MasterKeys) throws {
        try CredentialCheck.refuseTemporary(credentials)
        guard tenant.awsMode == .own else {
            throw ProvisioningError.invalid("tenant \(tenant.name) uses the service's AWS account; create it with --own to give it keys")
        }
        let sealed = try SecretBox.seal(Array(credentials.revealSecretForSealing().utf8), key: keys.current,
                                        associatedData: Tenant.associatedData(tenantId: tenant.id, accessKeyId: credentials.accessKeyId))
        try connection.execute(ProvisioningSQL.setCredentials, [
            tenant.id, credentials.accessKeyId, Data(sealed).base64EncodedString(), keys.current.id, accountId,
        ])
    }

    /// Opens a tenant's stored secret.
    public func credentials(of tenant: Tenant, keys: MasterKeys) throws -> AWSCredentials {
        guard let sealed = tenant.sealedSecret, let keyId = tenant.secretKeyId, let accessKeyId = tenant.accessKeyId,
              let bytes = Data(base64Encoded: sealed) else {
            throw ProvisioningError.invalid("tenant \(tenant.name) has no AWS credentials yet: run `berth tenant credentials \(tenant.name) --access-key-id ID --secret-access-key-stdin`")
        }
        guard let key = keys.key(id: keyId) else { throw SecretError.unknownKey(keyId) }
        let plain = try SecretBox.open(Array(bytes), key: key,
                                       associatedData: Tenant.associatedData(tenantId: tenant.id, accessKeyId: accessKeyId))
        return AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: String(decoding: plain, as: UTF8.self))
    }

    /// Re-seals every secret under the current master key. Returns how many rows changed.
    public func rekey(keys: MasterKeys, batchSize: Int = 100) throws -> Int {
        var total = 0
        while true {
            let changed: Int = try connection.transaction { connection in
                let rows = try connection.query(ProvisioningSQL.tenantsToRekey, [keys.current.id, batchSize]).map(Tenant.init(row:))
                for tenant in rows {
                    let credentials = try self.credentials(of: tenant, keys: keys)
                    let sealed = try SecretBox.seal(Array(credentials.revealSecretForSealing().utf8), key: keys.current,
                                                    associatedData: Tenant.associatedData(tenantId: tenant.id, accessKeyId: credentials.accessKeyId))
                    try connection.execute(ProvisioningSQL.resealSecret, [
                        tenant.id, Data(sealed).base64EncodedString(), keys.current.id, tenant.secretKeyId,
                    ])
                }
                return rows.count
            }
            total += changed
            if changed < batchSize { return total }
        }
    }
}
