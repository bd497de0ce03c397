import AWS
import Foundation
import Postgres
import Queue

/// `cluster.delete`: tears the cluster down (after any create in flight has stopped) and
/// ends `stopped`, or `error` when it cleaned up after a failed create.
public struct ClusterDeleteJob: JobHandler {
    public static let kind = "cluster.delete"
    let support: ClusterJobSupport

    public init(settings: ProvisioningSettings) {
        support = ClusterJobSupport(settings: settings)
    }

    public func run(_ context: JobContext) throws -> JobResult {
        guard let cluster = try support.acquire(context) else { return .snooze(seconds: ClusterJobSupport.busyClusterSnooze) }
        if cluster.state == .stopped { return .succeeded(output: nil) }
        let createSteps = try context.withConnection { try CheckpointStore($0).load(scope: cluster.scope) }
            .keys.filter { !$0.hasPrefix("delete.") && $0 != "network" }
        if !createSteps.isEmpty {
            // Something may exist in AWS: tear it down. (Every create writes an intent first,
            // so no checkpoint means nothing was made.)
            let access = try support.tenant(cluster, context)
            let network = try support.network(tenantId: access.tenant.id, region: cluster.region, context)
            let engine = StepEngine(job: context, aws: access.aws, tags: Tags(tenantId: access.tenant.id, clusterId: cluster.id),
                                    events: cluster.events, settings: support.settings)
            let plan = Plan(scope: cluster.scope, steps: cluster.backend.implementation.teardownSteps(for: cluster))
            switch try engine.run(plan, outputs: network?.outputs ?? [:]) {
            case .snooze(let seconds): return .snooze(seconds: seconds)
            case .stopped(let reason): return .cancelled(reason: reason)
            case .finished: break
            }
        }
        try context.withConnection { try WorkerSet($0).allStopped(of: cluster.id, reason: "the cluster was deleted") }
        let now = try support.reload(cluster, context)
        try support.setState(now, context, to: now.keepError ? .error : .stopped, from: [.pending, .starting, .ready, .stopping, .error],
                             error: now.keepError ? now.error : nil,
                             message: now.keepError ? "cleaned up after the failed create; nothing of the cluster is left in AWS"
                                                    : "stopped: nothing of the cluster is left in AWS")
        return .succeeded(output: nil)
    }
}
