import AWS
import Foundation
import Postgres

/// A tenant's AWS account changed (`berth tenant credentials --replace-account`).
public struct AccountChange: Sendable, CustomStringConvertible {
    public struct Network: Sendable {
        public var region: String
        public var vpcId: String?
    }

    public var from: String
    public var to: String
    /// The networks Berth had built in the old account; they stay there, unused.
    public var leftBehind: [Network]

    public var description: String {
        let networks = leftBehind.map { "\($0.vpcId ?? "the network") in \($0.region)" }
        return "AWS account changed from \(from) to \(to): the next cluster builds the network and IAM roles anew there. Left in \(from), "
            + "no longer managed by Berth: "
            + (networks.isEmpty ? "" : "\(networks.joined(separator: ", ")) (with its subnets, gateway, ECS cluster, log group and repository), and ")
            + "the tenant's berth-* IAM roles"
    }
}

/// Tenants in the database: creation, listing, sealed credentials and key rotation.
public struct TenantStore {
    public let connection: Connection

    public init(_ connection: Connection) {
        self.connection = connection
    }

    public struct NewTenant: Sendable {
        public var name: String
        public var mode: Tenant.AWSMode = .managed
        public var defaultBackend = Backend.fallback
        public var defaultRegion: String?
        public var defaultFargateSpot: Bool?
        public var gpuAccess = false
        /// Its limits; `berth tenant create` gives the config's quota-defaults.
        public var quotas = TenantQuotas.unlimited
        public var workerRoleArn: String?

        public init(name: String) { self.name = name }

        /// A tenant's defaults from layers, highest first: `backend`, `region` and
        /// `fargateSpot` (the CLI's flags), then `defaults` (its environment over its config
        /// file), then the system's. A configured `fargate_spot` is an ECS default: it does not
        /// apply to a vm tenant.
        public init(name: String, own: Bool = false, backend: String?, region: String?, fargateSpot: Bool, gpuAccess: Bool = false,
                    defaults: BackendOptions) throws(ProvisioningError) {
            self.name = name
            mode = own ? .own : .managed
            if let given = backend ?? defaults.backend { defaultBackend = try Backend(parsing: given) }
            defaultRegion = region ?? defaults.region
            defaultFargateSpot = fargateSpot ? true : (defaultBackend == .ecs ? defaults.fargateSpot : nil)
            self.gpuAccess = gpuAccess
        }

        /// What the table would refuse, said in words, before anything is written.
        public func validate() throws(ProvisioningError) {
            if name.range(of: #"^[a-z][a-z0-9-]{0,30}[a-z0-9]$"#, options: .regularExpression) == nil {
                throw .invalid("tenant name \"\(name)\" is not allowed: use 2-32 lowercase letters, digits and dashes, starting with a letter")
            }
            if let region = defaultRegion, !Regions.supported.contains(region) {
                throw .invalid("region \(region) is not supported; supported regions: \(Regions.supported.joined(separator: ", "))")
            }
            if defaultFargateSpot == true && defaultBackend == .vm {
                throw .invalid("--fargate-spot applies to the ecs backend only")
            }
            if let workerRoleArn { _ = try WorkerRole(parsing: workerRoleArn) }
        }
    }

    @discardableResult
    public func create(_ tenant: NewTenant) throws -> Tenant {
        try tenant.validate()
        do {
            let row = try connection.queryRow(ProvisioningSQL.createTenant, [
                tenant.name, tenant.mode, tenant.defaultBackend, tenant.defaultRegion, tenant.defaultFargateSpot, tenant.gpuAccess,
                tenant.quotas.maxClusters, tenant.quotas.maxWorkers, tenant.quotas.maxVcpus, tenant.quotas.maxGpuWorkers,
                tenant.workerRoleArn,
            ])
            return try Tenant(row: row!)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw ProvisioningError.invalid("a tenant named \(tenant.name) exists already")
        }
    }

    /// Starts offboarding the tenant (`berth.delete_tenant`) and returns its `tenant.delete` job:
    /// the same job while one runs.
    public func delete(name: String) throws -> Int64 {
        guard let job: Int64 = try connection.queryRow(ProvisioningSQL.deleteTenant, [name])?.decode("job") else {
            throw ProvisioningError.invalid("berth.delete_tenant returned no job for tenant \(name)")
        }
        return job
    }

    /// Refuses changes to a tenant being deleted or deleted: its key is (about to be) destroyed.
    func requireActive(_ tenant: Tenant) throws {
        guard tenant.state == .active else {
            throw ProvisioningError.invalid("tenant \(tenant.name) is \(tenant.state == .deleted ? "deleted" : "being deleted") (berth tenant delete): it cannot be changed")
        }
    }

    /// Sets the tenant's worker role (nil: none), refusing a bad ARN and, where the tenant's
    /// account is known (an own-account tenant with a key), a role of another account. Clusters
    /// made before keep the role their spec recorded.
    @discardableResult
    public func setWorkerRole(tenant name: String, arn: String?) throws -> Tenant {
        let tenant = try require(name: name)
        try requireActive(tenant)
        if let arn { try WorkerRole(parsing: arn).check(account: tenant.awsAccountId, tenant: tenant.name) }
        return try Tenant(row: try connection.queryRow(ProvisioningSQL.setTenantWorkerRole, [tenant.id, arn])!)
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
    /// (`CredentialCheck`); this only refuses what can never work, and a key of another AWS
    /// account while that would orphan what lives in the old one (`checkAccount`). Returns
    /// the account change, if any.
    @discardableResult
    public func setCredentials(tenant: Tenant, credentials: AWSCredentials, accountId: String?, keys: MasterKeys,
                               replaceAccount: Bool = false) throws -> AccountChange? {
        try CredentialCheck.refuseTemporary(credentials)
        try requireActive(tenant)
        guard tenant.awsMode == .own else {
            throw ProvisioningError.invalid("tenant \(tenant.name) uses the service's AWS account; create it with --own to give it keys")
        }
        let sealed = try SecretBox.seal(Array(credentials.revealSecretForSealing().utf8), key: keys.current,
                                        associatedData: Tenant.associatedData(tenantId: tenant.id, accessKeyId: credentials.accessKeyId))
        return try connection.transaction { connection in
            let stored: String? = try connection.queryRow(ProvisioningSQL.lockTenantAccount, [tenant.id])?.decodeIfPresent("aws_account_id")
            var change: AccountChange?
            if let from = stored, let to = accountId,
               try Self.refuseAccountChange(on: connection, tenant: tenant, from: from, to: to, replaceAccount: replaceAccount) {
                let networks = try connection.query(ProvisioningSQL.forgetTenantNetworks, [tenant.id]).map {
                    AccountChange.Network(region: try $0.decode("region"), vpcId: try $0.decodeIfPresent("vpc_id"))
                }
                try connection.execute(ProvisioningSQL.forgetTenantVPCNetworks, [tenant.id])
                try connection.execute(ProvisioningSQL.forgetTenantCheckpoints, [tenant.id])
                let moved = AccountChange(from: from, to: to, leftBehind: networks)
                try EventTarget(tenant: tenant.name, clusterId: nil, clusterName: nil)
                    .add(on: connection, jobId: nil, type: "info", message: moved.description, data: ["from_account": from, "to_account": to])
                change = moved
            }
            try connection.execute(ProvisioningSQL.setCredentials, [
                tenant.id, credentials.accessKeyId, Data(sealed).base64EncodedString(), keys.current.id, accountId,
            ])
            return change
        }
    }

    /// A key of another AWS account than the one the tenant's resources live in would leave
    /// them behind, unmanaged: refused while any of its clusters is not `stopped` (or a network
    /// job runs), and otherwise allowed only with `replaceAccount`. `setCredentials` checks
    /// again under a lock; this is the early look, before any other AWS call.
    public func checkAccount(of tenant: Tenant, newAccount: String, replaceAccount: Bool) throws {
        guard let from = tenant.awsAccountId else { return }
        _ = try Self.refuseAccountChange(on: connection, tenant: tenant, from: from, to: newAccount, replaceAccount: replaceAccount)
    }

    /// True when the account changes and may; throws when it may not.
    private static func refuseAccountChange(on connection: Connection, tenant: Tenant, from: String, to: String,
                                            replaceAccount: Bool) throws -> Bool {
        guard from != to else { return false }
        let live = try connection.query(ProvisioningSQL.liveClustersOfTenant, [tenant.id]).map {
            "\(try $0.decode("name", as: String.self)) (\(try $0.decode("state", as: String.self)))"
        }
        let networkJobs: Int = try connection.queryRow(ProvisioningSQL.networkJobsInFlight, [tenant.id, NetworkJob.kind])?.decode("n") ?? 0
        let what = "tenant \(tenant.name)'s resources live in AWS account \(from), and this key belongs to account \(to)"
        if !live.isEmpty || networkJobs > 0 {
            var busy: [String] = []
            if !live.isEmpty { busy.append("clusters not stopped: \(live.joined(separator: ", "))") }
            if networkJobs > 0 { busy.append("\(networkJobs) network job\(networkJobs == 1 ? "" : "s") still running") }
            throw ProvisioningError.invalid("\(what); refused while anything of it lives there (\(busy.joined(separator: "; "))), because those resources would be left behind unmanaged. Delete the clusters first (berth cluster delete NAME --tenant \(tenant.name) --wait), then store the key with --replace-account")
        }
        if !replaceAccount {
            throw ProvisioningError.invalid("\(what). No cluster of it is live, so it may move: run again with --replace-account (Berth then builds its network and IAM roles anew in \(to); what it made in \(from) stays there)")
        }
        return true
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

    /// What `rekey` did: how many rows it re-sealed, and which tenants' secrets it could not
    /// open (with why; never key material).
    public struct RekeyReport: Sendable {
        public var resealed = 0
        public var failed: [(tenant: String, reason: String)] = []
    }

    /// Re-seals every secret under the current master key, each row in its own transaction, so
    /// a row that does not open (sealed under a key this process lacks) is named and skipped
    /// while the others are re-sealed.
    public func rekey(keys: MasterKeys) throws -> RekeyReport {
        var report = RekeyReport()
        var after = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        while true {
            let next: (tenant: Tenant, failure: String?)? = try connection.transaction { connection in
                guard let tenant = try connection.queryRow(ProvisioningSQL.nextTenantToRekey, [keys.current.id, after]).map(Tenant.init(row:)) else {
                    return nil
                }
                let credentials: AWSCredentials
                do { credentials = try self.credentials(of: tenant, keys: keys) } catch let error as SecretError {
                    return (tenant, error.description)
                } catch let error as ProvisioningError {
                    return (tenant, error.description)
                }
                let sealed = try SecretBox.seal(Array(credentials.revealSecretForSealing().utf8), key: keys.current,
                                                associatedData: Tenant.associatedData(tenantId: tenant.id, accessKeyId: credentials.accessKeyId))
                try connection.execute(ProvisioningSQL.resealSecret, [
                    tenant.id, Data(sealed).base64EncodedString(), keys.current.id, tenant.secretKeyId,
                ])
                return (tenant, nil)
            }
            guard let next else { return report }
            after = next.tenant.id
            if let failure = next.failure { report.failed.append((next.tenant.name, failure)) } else { report.resealed += 1 }
        }
    }
}
