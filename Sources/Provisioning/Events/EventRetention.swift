import Postgres
import Queue

/// How long events stay in `berth.events` (docs/tenants.md, "Retention"): `seconds` after they
/// were written (0: forever), except each cluster's newest `keptPerCluster`, which stay as long
/// as the cluster's record (a cluster's page always shows how it ended).
public struct EventRetention: Sendable, Equatable {
    public var seconds: Double = 90 * 86_400
    public var keptPerCluster = 20

    public init(seconds: Double = 90 * 86_400, keptPerCluster: Int = 20) {
        self.seconds = seconds
        self.keptPerCluster = keptPerCluster
    }

    /// The walk over `berth.events` for the workers' maintenance, or nil when events stay forever.
    public func walk(batchSize: Int = 1000) -> RetentionWalk? {
        guard seconds > 0 else { return nil }
        return RetentionWalk(name: "events", statement: ProvisioningSQL.pruneEvents, parameters: [seconds, keptPerCluster],
                             batchSize: batchSize)
    }
}
