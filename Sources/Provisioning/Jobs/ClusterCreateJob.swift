import AWS
import Foundation
import Postgres
import Queue

/// `cluster.create`: waits for (or asks for) the tenant's network in the region, then runs the
/// backend's create and readiness steps; `ready` with the scheduler's address. Stops at a step
/// boundary when a delete arrives; a failure that retrying cannot fix ends the job `failed`,
/// which puts the cluster in `error` and enqueues the cleanup (the trigger on `berth.jobs`,
/// migrations 0002 and 0003; docs/architecture.md, "The seams").
public struct ClusterCreateJob: JobHandler {
    public static let kind = "cluster.create"
    let support: ClusterJobSupport

    public init(settings: ProvisioningSettings) {
        support = ClusterJobSupport(settings: settings)
    }

    public func run(_ context: JobContext) throws -> JobResult {
        guard let cluster = try support.acquire(context) else { return .snooze(seconds: ClusterJobSupport.busyClusterSnooze) }
        if cluster.desired == .deleted || [.stopping, .stopped, .error].contains(cluster.state) {
            return .cancelled(reason: "cluster \(cluster.name) is being deleted")
        }
        if cluster.state == .pending {
            try support.setState(cluster, context, to: .starting, from: [.pending], desired: .running,
                                 message: "starting: \(cluster.backend.rawValue) cluster in \(cluster.region)")
        }
        let access = try support.tenant(cluster, context)
        let engine = StepEngine(job: context, aws: access.aws, tags: Tags(tenantId: access.tenant.id, clusterId: cluster.id),
                                events: cluster.events, settings: support.settings)
        let stop = { () throws -> String? in
            let now = try support.reload(cluster, context)
            return now.desired == .deleted ? "a delete was requested" : nil
        }
        switch try engine.run(plan(cluster, tenant: access.tenant, context: context), shouldStop: stop) {
        case .snooze(let seconds):
            return .snooze(seconds: seconds)
        case .stopped(let reason):
            return .cancelled(reason: reason)
        case .finished(let outputs):
            // The tenant and region's reconcile watches the cluster from now on. It is queued
            // before the cluster is `ready`, so a crash between the two cannot leave a ready
            // cluster unwatched; while the running one is ending, look again in a moment.
            guard try context.withConnection({ try ClusterReconcileJob.ensure(tenantId: cluster.tenantId, region: cluster.region, on: $0) }) else {
                return .snooze(seconds: ClusterJobSupport.busyClusterSnooze)
            }
            let changed = try support.setState(cluster, context, to: .ready, from: [.starting], desired: .running,
                                               address: outputs["scheduler_address"], publicAddress: outputs["scheduler_public_address"],
                                               message: "ready: scheduler at \(outputs["scheduler_address"] ?? "?")",
                                               data: outputs.filter { ["scheduler_address", "scheduler_public_address"].contains($0.key) })
            if !changed { return .cancelled(reason: "a delete was requested") }
            ProvisioningMetrics.clusterReady(backend: cluster.backend.rawValue, requestedAt: cluster.createdAt)
            return .succeeded(output: encodeOutputs(outputs.filter { $0.key.hasPrefix("scheduler_address") || $0.key == "scheduler_public_address" }))
        }
    }

    /// The shared network, then the backend's create and readiness steps, in the cluster's scope.
    func plan(_ cluster: Cluster, tenant: Tenant, context: JobContext) -> Plan {
        let backend = cluster.backend.implementation
        return Plan(scope: cluster.scope, steps: [networkStep(cluster: cluster, tenant: tenant, context: context)]
                        + backend.createSteps(for: cluster) + backend.readinessSteps(for: cluster))
    }

    /// The shared network: ready → its outputs; otherwise make sure its one job is queued
    /// (a unique key per tenant and region) and look again soon.
    private func networkStep(cluster: Cluster, tenant: Tenant, context: JobContext) -> Step {
        Step("network", .check, waitDeadline: support.settings.networkWaitDeadline) { ctx in
            let network = try support.network(tenantId: tenant.id, region: cluster.region, context)
            if let network, network.state == .ready { return .done(network.outputs) }
            if let network, network.state == .error, ctx.resumed {
                // It failed while this cluster waited for it: this cluster cannot start.
                throw StepFailure("the network for \(tenant.name) in \(cluster.region) could not be built: \(network.error ?? "unknown error")")
            }
            try context.withConnection { connection in
                if network == nil { try connection.execute(ProvisioningSQL.ensureNetworkRow, [tenant.id, cluster.region]) }
                _ = try connection.query(ProvisioningSQL.enqueueNetworkJob, [tenant.id, cluster.region, tenant.name, NetworkJob.kind])
            }
            return .wait(seconds: ctx.pollInterval, reason: "the shared network of \(tenant.name) in \(cluster.region)")
        }
    }
}
