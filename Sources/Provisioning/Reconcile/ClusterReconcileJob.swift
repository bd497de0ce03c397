import AWS
import Foundation
import Postgres
import Queue

/// `cluster.reconcile`: one per tenant and region (a unique key), recurring while the tenant has
/// a live cluster there. Each run is one pass (`ReconcilePass`) over the tenant's watched
/// clusters in the region; then the job snoozes for the interval, which keeps the same row
/// queued (so there is never a second one, and a crash leaves it to the rescuer, which queues it
/// again), or ends when no live cluster is left (`berth.end_reconcile`, ordered against
/// `berth.ensure_reconcile` so a cluster made meanwhile is never left unwatched).
/// docs/provisioning.md, "The reconcile".
public struct ClusterReconcileJob: JobHandler {
    public static let kind = "cluster.reconcile"
    let settings: ProvisioningSettings

    public init(settings: ProvisioningSettings) {
        self.settings = settings
    }

    public func run(_ context: JobContext) throws -> JobResult {
        let args = try ReconcileJobArguments(args: context.job.args)
        let started = Date()
        var pass = ReconcilePass(context: context, tenantId: args.tenantId, region: args.region, settings: settings)
        var failure: String?
        do {
            try pass.run()
        } catch let interrupted as JobInterrupted {
            throw interrupted
        } catch {
            // A pass that fails (AWS throttling, a key that does not open) tries again at the
            // next interval: the job must outlive every failure, or the clusters go unwatched.
            failure = String(describing: error)
        }
        _ = try context.withConnection { connection in
            try connection.execute(ProvisioningSQL.recordReconcilePass, [
                args.tenantId, args.region, Date().timeIntervalSince(started) * 1000, pass.awsCalls, failure.map { String($0.prefix(2000)) },
                pass.dbMilliseconds,
            ])
        }
        try context.checkpoint()
        let ended = try context.withConnection { connection in
            try connection.queryRow(ProvisioningSQL.endReconcile, [args.tenantId, args.region, context.job.id, context.leaseToken])?
                .decode("ended", as: Bool.self)
        }
        return ended == true ? .succeeded(output: nil) : .snooze(seconds: settings.reconcileInterval)
    }

    /// Makes sure the tenant and region's reconcile is queued or running; false while the one
    /// that runs has decided to end (the caller looks again in a moment). Idempotent.
    static func ensure(tenantId: UUID, region: String, on connection: Connection) throws -> Bool {
        let job: Int64? = try connection.queryRow(ProvisioningSQL.ensureReconcile, [tenantId, region, kind])?.decodeIfPresent("job")
        return job != nil
    }
}
