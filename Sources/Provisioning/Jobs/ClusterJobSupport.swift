import AWS
import Foundation
import Postgres
import Queue

/// What the cluster jobs share: finding their cluster, taking it (one job per cluster at a
/// time), moving its state with an event, and building the tenant's AWS client.
struct ClusterJobSupport {
    let settings: ProvisioningSettings

    /// The cluster this job works on, taken for this job; nil when another job holds it.
    func acquire(_ context: JobContext) throws -> Cluster? {
        let id = try clusterId(context.job)
        return try context.withConnection { connection in
            if let cluster = try connection.queryRow(ProvisioningSQL.acquireCluster, [id, context.job.id]).map(Cluster.init(row:)) {
                return cluster
            }
            guard try ClusterStore(connection).get(id: id) != nil else {
                throw JobError("cluster \(id) does not exist", retryable: false)
            }
            return nil
        }
    }

    func clusterId(_ job: Job) throws -> UUID {
        let args = (try? job.args.object()) as? [String: Any]
        guard let text = args?["cluster_id"] as? String, let id = UUID(uuidString: text) else {
            throw JobError("job args must hold cluster_id (a uuid), got \(job.args)", retryable: false)
        }
        return id
    }

    func reload(_ cluster: Cluster, _ context: JobContext) throws -> Cluster {
        try context.withConnection { try ClusterStore($0).get(id: cluster.id) } ?? cluster
    }

    /// Moves the cluster from one of `from` to `to`, with an event, only while this job holds
    /// its lease (and, for `desired`, only while the user still wants that).
    @discardableResult
    func setState(_ cluster: Cluster, _ context: JobContext, to state: String, from: [String], desired: String? = nil,
                  error: String? = nil, address: String? = nil, publicAddress: String? = nil, message: String,
                  data: StepOutputs = [:]) throws -> Bool {
        let row = try context.withConnection { connection in
            try connection.queryRow(ProvisioningSQL.setClusterState, [
                cluster.id, context.job.id, context.leaseToken, state, from, error, address, publicAddress, message,
                data.isEmpty ? nil : encodeOutputs(data), desired,
            ])
        }
        let held: Int = try row?.decode("held") ?? 0
        if held == 0 { throw JobInterrupted(reason: .leaseLost) }
        let changed: Int = try row?.decode("changed") ?? 0
        return changed > 0
    }

    func tenant(_ cluster: Cluster, _ context: JobContext) throws -> (Tenant, AWSClient) {
        try context.withConnection { connection in
            let store = TenantStore(connection)
            guard let tenant = try store.get(id: cluster.tenantId) else {
                throw JobError("tenant \(cluster.tenant) no longer exists", retryable: false)
            }
            do {
                return (tenant, try settings.awsClient(for: tenant, region: cluster.region, store: store))
            } catch let error as StepFailure {
                try cluster.events.add(on: connection, jobId: context.job.id, type: "step.failed", message: error.message)
                throw JobError(error.message, retryable: false)
            } catch let error as MissingMasterKey {
                throw try error.retry(cluster.events, on: connection, jobId: context.job.id)
            }
        }
    }

    /// The shared network's outputs, or nil while it does not exist or is not ready.
    func network(tenantId: UUID, region: String, _ context: JobContext) throws -> (state: String, outputs: StepOutputs, error: String?)? {
        try context.withConnection { connection in
            guard let row = try connection.queryRow(ProvisioningSQL.network, [tenantId, region]) else { return nil }
            let outputs: JSONText = try row.decode("outputs")
            return (try row.decode("state"), decodeOutputs(outputs.text), try row.decodeIfPresent("error"))
        }
    }

    /// How long until a job that could not take its cluster looks again.
    static let busyClusterSnooze = 1.0
}
