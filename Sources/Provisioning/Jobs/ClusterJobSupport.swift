import AWS
import Foundation
import Postgres
import Queue

/// What the cluster jobs share: finding their cluster, taking it (one job per cluster at a
/// time), moving its state with an event, and opening the tenant's AWS client.
struct ClusterJobSupport {
    let settings: ProvisioningSettings

    /// The cluster this job works on, taken for this job; nil when another job holds it.
    func acquire(_ context: JobContext) throws -> Cluster? {
        let id = try ClusterJobArguments(args: context.job.args).clusterId
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

    func reload(_ cluster: Cluster, _ context: JobContext) throws -> Cluster {
        try context.withConnection { try ClusterStore($0).get(id: cluster.id) } ?? cluster
    }

    /// Moves the cluster from one of `from` to `to`, with an event, only while this job holds
    /// its lease (and, for `desired`, only while the user still wants that).
    @discardableResult
    func setState(_ cluster: Cluster, _ context: JobContext, to state: ClusterState, from: [ClusterState], desired: DesiredState? = nil,
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

    /// The cluster's tenant and its AWS client in the cluster's region (see `TenantAccess`).
    func tenant(_ cluster: Cluster, _ context: JobContext) throws -> TenantAccess {
        try TenantAccess.open(for: context, tenantId: cluster.tenantId, region: cluster.region, settings: settings, events: cluster.events)
    }

    /// The tenant's shared network in `region`, nil while it has no row.
    func network(tenantId: UUID, region: String, _ context: JobContext) throws -> SharedNetwork? {
        try context.withConnection { try $0.queryRow(ProvisioningSQL.network, [tenantId, region]).map(SharedNetwork.init(row:)) }
    }

    /// How long until a job that could not take its cluster looks again.
    static let busyClusterSnooze = 1.0
}
