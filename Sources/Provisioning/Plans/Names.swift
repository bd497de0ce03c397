import Foundation

/// Deterministic AWS names: a resumed or repeated step finds what an earlier attempt made.
enum Names {
    static func executionRole(tenant: String) -> String { "berth-\(tenant)-ecs-execution" }
    static func instanceRole(tenant: String) -> String { "berth-\(tenant)-instance" }
    static func instanceProfile(tenant: String) -> String { "berth-\(tenant)-instance" }
    static func ecsCluster(tenant: String) -> String { "berth-\(tenant)" }
    static func logGroup(tenant: String) -> String { "/berth/\(tenant)" }
    static func repository(tenant: String) -> String { "berth/\(tenant)" }
    static func network(tenant: String, region: String) -> String { "berth-\(tenant)-\(region)" }
    /// The VPC network the managed tenants share in a region.
    static func sharedNetwork(region: String) -> String { "berth-shared-\(region)" }
    /// A cluster's security group; its instances and tasks are named after it (`-scheduler`, `-worker`).
    static func securityGroup(cluster: UUID) -> String { "berth-\(cluster.uuidString.lowercased())" }
    /// The instance profile of a VM cluster's workers when the cluster has a worker role.
    static func workerInstanceProfile(cluster: UUID) -> String { "berth-\(cluster.uuidString.lowercased())-workers" }

    static let ecsServiceLinkedRole = "AWSServiceRoleForECS"
    static let vpcCidr = "10.64.0.0/16"
    static func subnetCidr(index: Int) -> String { "10.64.\(index * 16).0/20" }
    static let maxZones = 3
}
