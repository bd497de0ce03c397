import Foundation
import Postgres

/// What `berth.cluster_workers` says a cluster has now, next to what its spec asks for
/// (`berth cluster show`). The record is what the create, a scale or a replacement launched and
/// the reconcile last saw stopped, so it lags AWS by at most one reconcile interval.
public struct ObservedWorkers: Sendable, Equatable {
    public var running: Int
    public var stopping: Int
    public var stopped: Int
    /// The newest stopped worker's reason (AWS's stoppedReason or state reason).
    public var lastStopReason: String?
}

extension ClusterStore {
    public func observedWorkers(of id: UUID) throws -> ObservedWorkers {
        let row = try connection.queryRow(ProvisioningSQL.observedWorkers, [id])
        return ObservedWorkers(running: try row?.decode("running") ?? 0, stopping: try row?.decode("stopping") ?? 0,
                               stopped: try row?.decode("stopped") ?? 0, lastStopReason: try row?.decodeIfPresent("last_reason"))
    }
}
