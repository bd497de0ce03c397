import AWS
import Foundation
import Postgres
import Queue

/// A tenant and the AWS client its work uses in one region. The one place that opens a
/// tenant's credentials and says what a failure to open them means.
struct TenantAccess {
    let tenant: Tenant
    let aws: AWSClient

    /// Why a tenant's AWS client cannot be had.
    enum Failure: Error, CustomStringConvertible {
        /// The tenant's row is gone.
        case tenantGone(String)
        /// Nobody can open it until someone fixes something: no key stored, a secret no key
        /// opens (wrong key, tampered ciphertext), no AWS key for managed tenants.
        case refused(tenant: String, String)
        /// This process lacks the master key that opens it; a worker that has it can.
        case keyMissing(MissingMasterKey)

        var description: String {
            switch self {
            case .tenantGone(let message), .refused(_, let message): message
            case .keyMissing(let error): error.description
            }
        }
    }

    /// Opens the tenant's client in `region`. Throws `Failure`, and database errors as they are.
    static func open(tenantId: UUID, region: String, store: TenantStore, settings: ProvisioningSettings) throws -> TenantAccess {
        guard let tenant = try store.get(id: tenantId) else { throw Failure.tenantGone("tenant \(tenantId) no longer exists") }
        let credentials: AWSCredentials
        switch tenant.awsMode {
        case .managed:
            guard let managed = settings.managedCredentials else {
                throw Failure.refused(tenant: tenant.name, "this worker has no AWS credentials for managed tenants: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            credentials = managed
        case .own:
            guard let keys = settings.masterKeys else {
                throw Failure.keyMissing(MissingMasterKey(tenant: tenant.name, keyId: nil, problem: settings.masterKeyProblem))
            }
            do { credentials = try store.credentials(of: tenant, keys: keys) } catch let error as ProvisioningError {
                throw Failure.refused(tenant: tenant.name, error.description)
            } catch SecretError.unknownKey(let keyId) {
                throw Failure.keyMissing(MissingMasterKey(tenant: tenant.name, keyId: keyId, problem: nil))
            } catch let error as SecretError {
                throw Failure.refused(tenant: tenant.name, "cannot open tenant \(tenant.name)'s AWS key: \(error)")
            }
        }
        return TenantAccess(tenant: tenant,
                            aws: AWSClient(credentials: credentials, region: region, endpoints: settings.endpoints,
                                           configuration: settings.awsConfiguration))
    }

    /// For a job: a failure retrying cannot fix is said in `events` (`step.failed`; the tenant's
    /// own stream when nil), handed to `refused` (to record it where waiters look), and fails
    /// the job; a key this worker lacks is said as a `retry` event, and the job retries with
    /// backoff until a worker that has the key takes it.
    static func open(for context: JobContext, tenantId: UUID, region: String, settings: ProvisioningSettings,
                     events: EventTarget? = nil, refused: (Connection, String) throws -> Void = { _, _ in }) throws -> TenantAccess {
        try context.withConnection { connection in
            do {
                return try open(tenantId: tenantId, region: region, store: TenantStore(connection), settings: settings)
            } catch let failure as Failure {
                switch failure {
                case .tenantGone(let message):
                    throw JobError(message, retryable: false)
                case .refused(let tenant, let message):
                    let target = events ?? EventTarget(tenant: tenant, clusterId: nil, clusterName: nil)
                    try target.add(on: connection, jobId: context.job.id, type: "step.failed", message: message)
                    try refused(connection, message)
                    throw JobError(message, retryable: false)
                case .keyMissing(let missing):
                    let target = events ?? EventTarget(tenant: missing.tenant, clusterId: nil, clusterName: nil)
                    let message = "\(missing.description); retrying with backoff (a worker with that key can take the job)"
                    try target.add(on: connection, jobId: context.job.id, type: "retry", message: message,
                                   data: missing.keyId.map { ["master_key_id": $0] } ?? [:])
                    throw JobError(message, retryable: true)
                }
            }
        }
    }
}
