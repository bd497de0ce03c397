import Foundation

/// What a reconcile pass does to one cluster, decided without I/O from its record (what the
/// create plan and `berth.cluster_workers` say it has) and what AWS shows (docs/provisioning.md,
/// "The reconcile").
enum ReconcileAction: Equatable, Sendable {
    /// A worker task or instance stopped (Spot interruption, crash, killed): AWS's reason.
    case workerStopped(resource: String, reason: String)
    /// The scheduler stopped other than by an idle exit: the cluster goes to `error`.
    case schedulerStopped(reason: String)
    /// The scheduler closed itself after `idle_timeout` (it exited 0).
    case idle(timeout: String)
    /// `max_lifetime` has passed since the cluster was created.
    case lifetime(limit: String)
    /// The cluster's security group is gone (deleted outside Berth).
    case securityGroupMissing(id: String)
    /// A task or instance that names the cluster (startedBy, tag) but is not in its record.
    case leak(resource: String)
}

/// One task or instance as a pass saw it.
struct ObservedCompute: Equatable, Sendable {
    var id: String
    /// The cluster it names (an ECS task's startedBy, an instance's `berth:cluster` tag).
    var cluster: UUID?
    /// It stopped, or is stopping and will not come back.
    var stopped: Bool
    /// ECS's stoppedReason (with the stop code), EC2's state reason.
    var reason: String?
    /// The Dask process's exit status once it stopped: the container's exit code (ECS), the
    /// exit line on the console (VM); nil when unknown.
    var exitCode: Int?
}

/// A cluster as the pass knows it from the database.
struct ReconcileRecord: Sendable {
    var cluster: Cluster
    var scheduler: String?
    /// Its workers that are `running` in `berth.cluster_workers`.
    var workers: [String]
    /// Every worker it ever recorded (a stopped one is not a leak).
    var knownWorkers: Set<String>
    var securityGroup: String?
    /// The task definition its ECS workers launch from (the create's record).
    var workerTaskDefinition: String?
    /// A job (create, scale, converge, delete) runs on it now: what it launches may not be
    /// recorded yet, so nothing of it counts as a leak.
    var busy: Bool
}

enum ReconcileDecisions {
    /// What to do about `record`, given AWS's view: `observed` holds every task or instance the
    /// pass described, by id (a recorded one missing from it is gone); `claiming` the running
    /// ones that name this cluster; `securityGroups` the tenant's groups in the region (nil:
    /// not looked at). A cluster that must stop gets that one action and nothing else.
    static func actions(for record: ReconcileRecord, observed: [String: ObservedCompute], claiming: [ObservedCompute],
                        securityGroups: Set<String>?, now: Date) -> [ReconcileAction] {
        let spec = record.cluster.spec
        if let limit = spec.maxLifetimeSeconds, now.timeIntervalSince(record.cluster.createdAt) >= Double(limit) {
            return [.lifetime(limit: spec.maxLifetime ?? "\(limit)s")]
        }
        // A missing security group first: deleted by hand, it explains whatever else stopped
        // (AWS refuses to delete a group while a task or instance uses it).
        if let group = record.securityGroup, let groups = securityGroups, !groups.contains(group) {
            return [.securityGroupMissing(id: group)]
        }
        if let scheduler = record.scheduler {
            if let seen = observed[scheduler] {
                if seen.stopped { return [schedulerStop(seen, spec: spec)] }
            } else {
                return [.schedulerStopped(reason: "the scheduler stopped: \(scheduler) is gone from AWS")]
            }
        }
        var actions: [ReconcileAction] = []
        for worker in record.workers {
            guard let seen = observed[worker] else {
                actions.append(.workerStopped(resource: worker, reason: "it is gone from AWS"))
                continue
            }
            if seen.stopped { actions.append(.workerStopped(resource: worker, reason: seen.reason ?? "no reason given")) }
        }
        if !record.busy {
            for task in claiming where !task.stopped && task.id != record.scheduler && !record.knownWorkers.contains(task.id) {
                actions.append(.leak(resource: task.id))
            }
        }
        return actions
    }

    /// An idle exit is the scheduler exiting 0 with an idle timeout set; anything else (another
    /// exit code, a stop by someone else, a lost machine) is a failure.
    static func schedulerStop(_ seen: ObservedCompute, spec: ClusterSpec) -> ReconcileAction {
        if seen.exitCode == 0, spec.idleTimeoutSeconds != nil, let timeout = spec.idleTimeout {
            return .idle(timeout: timeout)
        }
        let code = seen.exitCode.map { " (exit code \($0))" } ?? ""
        return .schedulerStopped(reason: "the scheduler stopped: \(seen.reason ?? "no reason given")\(code)")
    }
}
