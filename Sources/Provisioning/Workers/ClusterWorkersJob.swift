import AWS
import Foundation
import Postgres
import Queue

/// `cluster.workers`: converges a live cluster's running workers to its spec's `workers`
/// (`berth.converge_workers` enqueues it, one per cluster: a scale, the reconcile after a worker
/// stopped). Each run takes the cluster (one job per cluster at a time), runs a round of
/// `WorkersPlan` and, once the running workers match the spec, sets a `scaling` or `degraded`
/// cluster `ready`. A round that ends short (a newer request, a worker that stopped before it
/// ran) is followed by another, with fresh tokens. A launch failure snoozes the job with backoff
/// (no attempt used: it keeps trying); three within ten minutes make the cluster `degraded`.
public struct ClusterWorkersJob: JobHandler {
    public static let kind = "cluster.workers"
    static let degradedAfter = 3
    let support: ClusterJobSupport

    public init(settings: ProvisioningSettings) {
        support = ClusterJobSupport(settings: settings)
    }

    public func run(_ context: JobContext) throws -> JobResult {
        guard let cluster = try support.acquire(context) else { return .snooze(seconds: ClusterJobSupport.busyClusterSnooze) }
        guard cluster.desired == .running, [.ready, .scaling, .degraded].contains(cluster.state) else {
            return .cancelled(reason: "cluster \(cluster.name) is \(cluster.state.rawValue)\(cluster.desired == .deleted ? " (being deleted)" : "")")
        }
        let access = try support.tenant(cluster, context)
        let round = try startRound(cluster, context)
        // The create's outputs (network, security group, task definitions, scheduler, …) are what
        // a launch needs.
        let inputs = try context.withConnection { try CheckpointStore($0).load(scope: cluster.scope) }
            .filter { $0.value.state == .done && !$0.key.hasPrefix("workers.") && !$0.key.hasPrefix("delete.") }
            .sorted { $0.key < $1.key }
            .reduce(into: StepOutputs()) { $0.merge($1.value.outputs) { $1 } }
        let engine = StepEngine(job: context, aws: access.aws, tags: Tags(tenantId: access.tenant.id, clusterId: cluster.id),
                                events: cluster.events, settings: support.settings)
        let failed: @Sendable (String) throws -> Void = { reason in try self.failed(cluster, context, reason: reason) }
        let stop = { () throws -> String? in
            let now = try support.reload(cluster, context)
            return now.desired == .deleted ? "a delete was requested" : nil
        }
        do {
            let plan = Plan(scope: cluster.scope, steps: WorkersPlan.steps(cluster: cluster, round: round, failed: failed))
            switch try engine.run(plan, outputs: inputs, shouldStop: stop) {
            case .snooze(let seconds):
                return .snooze(seconds: seconds)
            case .stopped(let reason):
                return .cancelled(reason: reason)
            case .finished:
                let end = try finishRound(cluster, context)
                if end.met { return .succeeded(output: encodeOutputs(["workers": "\(end.running)"])) }
                // Short or over (a newer request, a worker that stopped): another round, after a
                // backoff when launches have been failing.
                let recent = try context.withConnection { try WorkerSet($0).recentFailures(of: cluster.id) }
                return .snooze(seconds: recent > 0 ? WorkerSet.backoff(recentFailures: recent, poll: support.settings.pollInterval)
                                                   : support.settings.pollInterval)
            }
        } catch let error where !(error is JobInterrupted) {
            // Keep trying (the same round: a resumed launch replays its calls with their tokens),
            // with backoff; the engine has said what failed in the event stream.
            let message = (error as? JobError)?.message ?? "\(error)"
            try failed(message)
            let recent = try context.withConnection { try WorkerSet($0).recentFailures(of: cluster.id) }
            return .snooze(seconds: WorkerSet.backoff(recentFailures: recent, poll: support.settings.pollInterval))
        }
    }

    /// The round in progress, or a new one (the last round's checkpoints cleared), with an event
    /// saying what this round is for.
    private func startRound(_ cluster: Cluster, _ context: JobContext) throws -> Int {
        let row = try context.withConnection {
            try $0.queryRow(ProvisioningSQL.startWorkersRound, [cluster.scope, context.job.id, context.leaseToken])
        }
        guard let row, try row.decode("held", as: Bool.self) else { throw JobInterrupted(reason: .leaseLost) }
        let round: Int = try row.decode("round")
        if try row.decode("fresh", as: Bool.self) {
            let counts = try context.withConnection { try WorkerSet($0).counts(of: cluster.id) }
            let reason = (try? JSONDecoder().decode(Reason.self, from: Data(context.job.args.text.utf8)))?.reason
            try cluster.events.add(job: context, type: "info", step: WorkersPlan.roundStep,
                                   message: "workers: \(counts.running) running, \(counts.desired) wanted\(reason.map { " (\($0))" } ?? "")",
                                   data: ["running": "\(counts.running)", "workers": "\(counts.desired)", "round": "\(round)"])
        }
        return round
    }

    private struct Reason: Decodable { var reason: String? }

    private func finishRound(_ cluster: Cluster, _ context: JobContext) throws -> (met: Bool, running: Int) {
        let row = try context.withConnection {
            try $0.queryRow(ProvisioningSQL.finishWorkersRound, [cluster.id, context.job.id, context.leaseToken, cluster.scope])
        }
        guard let row, try row.decode("held", as: Bool.self) else { throw JobInterrupted(reason: .leaseLost) }
        return (try row.decodeIfPresent("met") ?? false, try row.decodeIfPresent("running") ?? 0)
    }

    /// A launch failed, or a new worker stopped before it ran: recorded, said, and at the third
    /// within ten minutes the cluster is `degraded` (it keeps its workers and its scheduler).
    private func failed(_ cluster: Cluster, _ context: JobContext, reason: String) throws {
        let recent = try context.withConnection { try WorkerSet($0).recordFailure(of: cluster.id, reason: reason) }
        try cluster.events.add(job: context, type: "worker.failed",
                               message: "launching workers failed (\(recent) in the last 10 minutes; Berth keeps trying): \(reason)",
                               data: ["failures": "\(recent)"])
        guard recent >= Self.degradedAfter else { return }
        let now = try support.reload(cluster, context)
        guard [.ready, .scaling].contains(now.state) else { return }
        let message = "degraded: replacing workers keeps failing (\(recent) failures in 10 minutes; Berth keeps trying): \(reason)"
        try support.setState(now, context, to: .degraded, from: [.ready, .scaling], desired: .running, error: message,
                             address: now.schedulerAddress, publicAddress: now.schedulerPublicAddress, message: message)
    }
}
