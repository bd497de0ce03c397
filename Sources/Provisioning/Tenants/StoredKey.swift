import AWS
import Foundation

/// A tenant's own AWS key, checked and stored (`berth tenant credentials`): whose it is, what
/// the permission preflight found missing, and any move to another AWS account.
public struct StoredKey: Sendable, Encodable {
    public var tenant: String
    public var account: String
    public var arn: String
    public var accessKeyId: String
    /// Actions the key may not call, e.g. `ec2:CreateVpc` (it is stored all the same: the
    /// policy can be fixed afterwards).
    public var missingActions: [String]
    public var masterKeyId: String
    public var accountChange: AccountChange?

    enum CodingKeys: String, CodingKey {
        case tenant, account, arn, accessKeyId = "access_key_id", missingActions = "missing_actions", masterKeyId = "master_key_id",
             previousAccount = "previous_account"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(account, forKey: .account)
        try c.encode(arn, forKey: .arn)
        try c.encode(accessKeyId, forKey: .accessKeyId)
        try c.encode(missingActions, forKey: .missingActions)
        try c.encode(masterKeyId, forKey: .masterKeyId)
        try c.encode(accountChange?.from, forKey: .previousAccount)
    }
}

extension TenantStore {
    /// Checks a tenant's long-lived key and stores it sealed under the current master key, in
    /// this order, so that nothing is stored unless every check before the preflight passed:
    /// only `own` tenants hold keys; temporary keys are refused; STS must accept it; its
    /// account must be the stored one (or the move allowed, `checkAccount`); then the
    /// permission preflight, whose findings do not stop the store. Bad input is
    /// `ProvisioningError.invalid`.
    public func storeCheckedKey(_ credentials: AWSCredentials, tenant name: String, keys: MasterKeys, replaceAccount: Bool,
                                endpoints: Endpoints = .fromEnvironment()) throws -> StoredKey {
        let tenant = try require(name: name)
        try requireActive(tenant)
        guard tenant.awsMode == .own else {
            throw ProvisioningError.invalid("tenant \(name) uses the service's AWS account; only tenants created with --own hold keys")
        }
        try CredentialCheck.refuseTemporary(credentials)
        let client = AWSClient(credentials: credentials, region: tenant.defaultRegion ?? Regions.fallback, endpoints: endpoints)
        let identity = try CredentialCheck.identity(client)
        try checkAccount(of: tenant, newAccount: identity.account, replaceAccount: replaceAccount)
        let missing = try CredentialCheck.missingActions(client)
        let change = try setCredentials(tenant: tenant, credentials: credentials, accountId: identity.account, keys: keys,
                                        replaceAccount: replaceAccount)
        return StoredKey(tenant: tenant.name, account: identity.account, arn: identity.arn, accessKeyId: credentials.accessKeyId,
                         missingActions: missing, masterKeyId: keys.current.id, accountChange: change)
    }
}
