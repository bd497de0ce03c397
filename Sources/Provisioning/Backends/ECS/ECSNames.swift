import Foundation

/// Deterministic names of an ECS cluster's own resources (the shared ECS cluster is the
/// network's: `Names.ecsCluster`).
enum ECSNames {
    static func taskFamily(cluster: UUID, role: String) -> String { "berth-\(cluster.uuidString.lowercased())-\(role)" }
    /// ECS `startedBy` (at most 36 characters): a cluster's id, so its tasks can be listed.
    static func startedBy(cluster: UUID) -> String { cluster.uuidString.lowercased() }
}
