import Foundation
import Postgres
import Queue

/// A cluster's workers as Berth records them (`berth.cluster_workers`, migrations 0012 and
/// 0013): one row per ECS task or EC2 instance, `running` → (`stopping` →) `stopped`. The create
/// plans, a scale and a replacement add rows once a launch answered; a scale down stops the
/// newest; the reconcile marks the ones AWS stopped (`workerStopped`). The `cluster.workers` job
/// (`ClusterWorkersJob`) converges the running ones to the spec's `workers`.
public struct WorkerSet {
    public let connection: Connection

    public init(_ connection: Connection) {
        self.connection = connection
    }

    /// One row of `berth.cluster_workers`.
    public struct Worker: Sendable, Equatable {
        public enum State: String, TextEnum {
            case running, stopping, stopped
            public static let noun = "worker state"
        }
        public var resourceId: String
        public var state: State
        public var launchedAt: Date
        public var stoppedAt: Date?
        public var stoppedReason: String?
        /// The stopped worker this one replaced.
        public var replaces: String?
        /// Stopped on purpose (a scale down, a delete) or no longer due for a replacement.
        public var retired: Bool
    }

    /// Every worker of the cluster on record, newest first.
    public func workers(of clusterId: UUID) throws -> [Worker] {
        try connection.query(ProvisioningSQL.clusterWorkers, [clusterId]).map { row in
            Worker(resourceId: try row.decode("resource_id"), state: try row.decode("state", as: Worker.State.self),
                   launchedAt: try row.decode("launched_at"), stoppedAt: try row.decodeIfPresent("stopped_at"),
                   stoppedReason: try row.decodeIfPresent("stopped_reason"), replaces: try row.decodeIfPresent("replaces"),
                   retired: try row.decode("retired"))
        }
    }

    /// The reconcile saw a worker stopped (AWS's `stoppedReason` or state reason in `reason`):
    /// marks its row and asks for a converge, which replaces it (`berth.worker_stopped`). Returns
    /// the `cluster.workers` job, nil when the cluster is not live or the worker not on record.
    @discardableResult
    public func workerStopped(clusterId: UUID, resourceId: String, reason: String) throws -> Int64? {
        try connection.queryRow(ProvisioningSQL.workerStopped, [clusterId, resourceId, reason])?.decodeIfPresent("job")
    }

    /// Asks for the cluster's workers to be converged to its spec's `workers`
    /// (`berth.converge_workers`): one `cluster.workers` job per cluster; a request while one is
    /// queued or running returns that one, which picks the newest count up. Nil when the cluster
    /// is not live (`ready`, `scaling` or `degraded`).
    @discardableResult
    public func converge(clusterId: UUID, reason: String) throws -> Int64? {
        try connection.queryRow(ProvisioningSQL.convergeWorkers, [clusterId, reason])?.decodeIfPresent("job")
    }

    // MARK: for the jobs

    /// Records what a launch answered with (see `ProvisioningSQL.recordWorkers`).
    func record(_ ids: [String], cluster: Cluster, job: Int64, replacing: Bool, step: String) throws {
        guard !ids.isEmpty else { return }
        _ = try connection.queryRow(ProvisioningSQL.recordWorkers, [cluster.id, ids, job, replacing, step])
    }

    func counts(of clusterId: UUID) throws -> (desired: Int, running: Int) {
        guard let row = try connection.queryRow(ProvisioningSQL.workerCounts, [clusterId]) else { return (0, 0) }
        return (try row.decode("desired"), try row.decode("running"))
    }

    func running(among ids: [String], of clusterId: UUID) throws -> Set<String> {
        Set(try connection.query(ProvisioningSQL.runningAmong, [clusterId, ids]).map { try $0.decode("resource_id") })
    }

    /// Marks the newest running workers beyond the spec's `workers` `stopping`; returns every
    /// worker being stopped (see `ProvisioningSQL.markExtraWorkersStopping`).
    func markExtraStopping(of clusterId: UUID) throws -> [String] {
        try connection.query(ProvisioningSQL.markExtraWorkersStopping, [clusterId]).map { try $0.decode("resource_id") }
    }

    func markStopped(_ ids: [String], of clusterId: UUID, reason: String, retired: Bool) throws {
        guard !ids.isEmpty else { return }
        try connection.execute(ProvisioningSQL.markWorkersStopped, [clusterId, ids, reason, retired])
    }

    /// The cluster is gone: its workers on record are stopped (and retired).
    func allStopped(of clusterId: UUID, reason: String) throws {
        try connection.execute(ProvisioningSQL.markAllWorkersStopped, [clusterId, reason])
    }

    func resizeUsage(of clusterId: UUID) throws {
        _ = try connection.query(ProvisioningSQL.resizeUsage, [clusterId])
    }

    /// Records a launch failure; returns how many the cluster had in the last ten minutes.
    func recordFailure(of clusterId: UUID, reason: String) throws -> Int {
        try connection.queryRow(ProvisioningSQL.recordWorkerFailure, [clusterId, reason])?.decode("recent") ?? 1
    }

    func recentFailures(of clusterId: UUID) throws -> Int {
        try connection.queryRow(ProvisioningSQL.recentWorkerFailures, [clusterId])?.decode("recent") ?? 0
    }

    /// How long the converge snoozes after its `recent`-th launch failure in ten minutes:
    /// doubling from ten polls, at most five minutes.
    static func backoff(recentFailures recent: Int, poll: Double) -> Double {
        min(300, poll * 10 * pow(2, Double(max(0, min(recent, 20) - 1))))
    }
}
