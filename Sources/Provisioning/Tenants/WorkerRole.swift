import Foundation

/// The IAM role a cluster's Dask workers run with (`worker_role_arn`: a tenant's default, or a
/// cluster's own): ECS worker tasks get it as their task role, VM workers through an instance
/// profile Berth makes for it. Without one, workers have no AWS identity.
///
/// The same rule as the SQL API's `berth.is_worker_role_arn` (migration 0010; WorkerRoleTests
/// checks that the two agree): `arn:aws:iam::<12 digits>:role/<path/><name>`.
public struct WorkerRole: Sendable, Equatable {
    public let arn: String
    public let account: String
    /// The role's name, the ARN's last segment (IAM calls take it without the path).
    public let name: String

    static let pattern = #"^arn:aws:iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]+/){0,20}[A-Za-z0-9+=,.@_-]{1,64}\z"#

    public init(parsing arn: String, what: String = "--worker-role-arn") throws(ProvisioningError) {
        guard arn.utf8.count <= 600, arn.range(of: Self.pattern, options: .regularExpression) != nil else {
            throw .invalid("\(what) must be an IAM role ARN arn:aws:iam::<12-digit account>:role/<path/><name> (the name up to 64 "
                + "letters, digits and +=,.@_-), such as \"arn:aws:iam::123456789012:role/berth-data-reader\"; got \(Quoting.quote(arn))")
        }
        self.arn = arn
        account = arn.split(separator: ":", omittingEmptySubsequences: false)[4].description
        name = String(arn.split(separator: "/").last!)
    }

    /// A role can be passed only within its own account: refuses a role of another account than
    /// `account`, the tenant's where it is known.
    public func check(account: String?, tenant: String, what: String = "--worker-role-arn") throws(ProvisioningError) {
        if let account, account != self.account {
            throw .invalid("\(what) \(Quoting.quote(arn)) is in AWS account \(self.account), but tenant \(tenant) runs in account "
                + "\(account): a role can only be passed within its own account")
        }
    }
}
