import Foundation
import Postgres
import Queue

/// A job kind's arguments, as the SQL that enqueues it writes them into `berth.jobs.args`.
protocol JobArguments: Codable, Sendable {
    /// What the arguments must hold, for the message when they do not.
    static var expected: String { get }
}

extension JobArguments {
    /// Decodes a job's `args`. Arguments that do not decode fail the job for good: no retry
    /// can fix them.
    init(args: JSONText) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(args.text.utf8))
        } catch {
            throw JobError("job args must hold \(Self.expected), got \(Quoting.quote(args.text))", retryable: false)
        }
    }
}

/// `cluster.create` and `cluster.delete` (written by `berth.create_cluster` and
/// `berth.request_cluster_delete`).
struct ClusterJobArguments: JobArguments {
    var clusterId: UUID
    static let expected = "cluster_id (a uuid)"
    enum CodingKeys: String, CodingKey { case clusterId = "cluster_id" }
}

/// `network.ensure` (written by `ProvisioningSQL.enqueueNetworkJob`).
struct NetworkJobArguments: JobArguments {
    var tenantId: UUID
    var region: String
    static let expected = "tenant_id (a uuid) and region"
    enum CodingKeys: String, CodingKey { case tenantId = "tenant_id", region }
}

/// `tenant.delete` (written by `berth.delete_tenant`).
struct TenantJobArguments: JobArguments {
    var tenantId: UUID
    static let expected = "tenant_id (a uuid)"
    enum CodingKeys: String, CodingKey { case tenantId = "tenant_id" }
}
