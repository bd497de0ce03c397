import Foundation

/// One AWS resource Berth made (or can attribute to itself), as an inventory by tag finds it:
/// what it is, its id, the tenant and cluster its tags name, and its state.
public struct BerthResource: Sendable, Codable, Equatable {
    /// What kind of resource, in the order a sweep deletes them: what runs first (it holds
    /// network interfaces in the security groups), then the groups, then what nothing depends on.
    public enum Kind: String, Sendable, Codable, CaseIterable, Comparable {
        case ecsTask = "ecs task", instance, securityGroup = "security group", taskDefinition = "task definition",
             secret, vpc, subnet, internetGateway = "internet gateway", routeTable = "route table"

        /// Deletion order (lower first).
        var rank: Int {
            switch self {
            case .ecsTask, .instance: 0
            case .securityGroup: 1
            case .taskDefinition, .secret: 2
            case .routeTable, .internetGateway, .subnet: 3
            case .vpc: 4
            }
        }

        /// Cluster-owned kinds; the rest are the tenant's (or the shared) network.
        var clusterOwned: Bool { rank <= 2 }

        public static func < (a: Kind, b: Kind) -> Bool { a.rank < b.rank }
    }

    public var kind: Kind
    public var id: String
    public var region: String
    /// From `berth:tenant`; nil when the resource carries none (an untagged task definition,
    /// attributed by its family).
    public var tenantId: UUID?
    /// From `berth:cluster`, or for ECS tasks and task definitions their `startedBy` and family.
    public var clusterId: UUID?
    public var state: String

    enum CodingKeys: String, CodingKey {
        case kind, id, region, tenantId = "tenant_id", clusterId = "cluster_id", state
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(id, forKey: .id)
        try c.encode(region, forKey: .region)
        try c.encode(tenantId?.uuidString.lowercased(), forKey: .tenantId)
        try c.encode(clusterId?.uuidString.lowercased(), forKey: .clusterId)
        try c.encode(state, forKey: .state)
    }
}
