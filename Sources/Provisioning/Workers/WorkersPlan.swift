import AWS
import Foundation

/// One round of the `cluster.workers` job, in the cluster's scope (its checkpoints sit beside
/// the create's; a round starts by clearing the last round's, `ClusterWorkersJob`):
///
/// 1. `workers.launch` (create): fixes how many to launch (the spec's `workers` minus the running
///    ones) in its checkpoint before the first call, then launches them with the backend's
///    create code and tokens named by the round; each answer is recorded in
///    `berth.cluster_workers` at once (replacing stopped workers due for it, with an event).
/// 2. `workers.stop` (check): marks the newest running workers beyond the spec's `workers` (read
///    now, so the newest request counts) `stopping`, stops them, marks them `stopped`.
/// 3. `workers.running` (check): waits until the workers this round launched run; one that
///    stopped (or failed its health check) before it ran is marked `stopped` and counted as a
///    launch failure (`failed`).
///
/// After 1 and 2, usage is billed at the workers that run (`berth.resize_usage_period`).
enum WorkersPlan {
    static let launchStep = "workers.launch"
    static let stopStep = "workers.stop"
    static let runningStep = "workers.running"
    /// Not a step: the round's own row in `berth.steps` (its number, whether it is in progress).
    static let roundStep = "workers.round"

    static func steps(cluster: Cluster, round: Int, failed: @escaping @Sendable (String) throws -> Void) -> [Step] {
        let backend = cluster.backend.implementation
        return [
            Step(launchStep, .create) { ctx in
                let target: Int
                let count: Int
                if let saved = ctx.progress["launch_count"].flatMap({ Int($0) }), let wanted = ctx.progress["workers_target"].flatMap({ Int($0) }) {
                    (target, count) = (wanted, saved)
                } else {
                    let now = try withWorkers(ctx) { try $0.counts(of: cluster.id) }
                    (target, count) = (now.desired, max(0, now.desired - now.running))
                    // Fixed before the first call: a resumed step replays the same calls with the same tokens.
                    try ctx.saveProgress(["launch_count": "\(count)", "workers_target": "\(target)"])
                }
                guard count > 0 else { return .done(["launched_workers": "", "workers_target": "\(target)"]) }
                let launched = try backend.launchWorkers(ctx, cluster: cluster, count: count, tokenPart: "round-\(round)") { ids in
                    try withWorkers(ctx) { try $0.record(ids, cluster: cluster, job: ctx.job.job.id, replacing: true, step: ctx.step) }
                }
                try withWorkers(ctx) { try $0.resizeUsage(of: cluster.id) }
                return .done(["launched_workers": launched.joined(separator: ","), "workers_target": "\(target)"])
            },
            Step(stopStep, .check) { ctx in
                let (stopping, desired) = try withWorkers(ctx) { set in (try set.markExtraStopping(of: cluster.id), try set.counts(of: cluster.id).desired) }
                guard !stopping.isEmpty else { return .done(["stopped_workers": ""]) }
                try backend.stopWorkers(ctx, cluster: cluster, ids: stopping, reason: "Berth: cluster \(cluster.name) scaled down to \(desired) workers")
                try withWorkers(ctx) { set in
                    try set.markStopped(stopping, of: cluster.id, reason: "Berth stopped it: scaled down to \(desired) workers", retired: true)
                    try set.resizeUsage(of: cluster.id)
                }
                return .done(["stopped_workers": stopping.joined(separator: ",")])
            },
            Step(runningStep, .check) { ctx in
                let launched = ctx.list("launched_workers")
                let live = try withWorkers(ctx) { try $0.running(among: launched, of: cluster.id) }
                let ids = launched.filter(live.contains)
                guard !ids.isEmpty else { return .done(["workers_started": "0"]) }
                let seen = try backend.observeWorkers(ctx, cluster: cluster, ids: ids)
                var starting = 0
                for id in ids {
                    switch seen[id] ?? .starting {
                    case .running: break
                    case .starting: starting += 1
                    case .failed(let reason):
                        // An unhealthy task still runs (and bills): stop it; a stopped one is stopped already.
                        try backend.stopWorkers(ctx, cluster: cluster, ids: [id], reason: "Berth: the worker failed before it ran")
                        try withWorkers(ctx) { try $0.markStopped([id], of: cluster.id, reason: reason, retired: false) }
                        try failed("new worker \(id): \(reason)")
                    }
                }
                if starting > 0 { return .wait(seconds: ctx.pollInterval, reason: "\(starting) of \(ids.count) new workers to run") }
                return .done(["workers_started": "\(ids.count)"])
            },
        ]
    }

    /// The worker set on a connection the job lends for the length of `body`.
    private static func withWorkers<T>(_ ctx: StepContext, _ body: (WorkerSet) throws -> T) throws -> T {
        try ctx.job.withConnection { try body(WorkerSet($0)) }
    }
}
