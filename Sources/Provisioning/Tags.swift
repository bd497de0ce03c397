import AWS
import Foundation

/// The tags on every AWS resource Berth creates: `berth:managed`, `berth:tenant` (or, on the
/// network the managed tenants share, `berth:network=shared`: it is no one tenant's),
/// `berth:cluster` (cluster-owned resources), `berth:step` and `Name`.
public struct Tags: Sendable {
    public static let managed = "berth:managed"
    public static let tenant = "berth:tenant"
    public static let network = "berth:network"
    public static let cluster = "berth:cluster"
    public static let step = "berth:step"
    /// The value of `berth:network` on the shared network's VPC, subnets, gateway and route table.
    public static let sharedNetwork = "shared"

    /// Nil on the shared network's resources.
    public let tenantId: UUID?
    public let clusterId: UUID?
    public let stepName: String?

    public init(tenantId: UUID, clusterId: UUID? = nil, step: String? = nil) {
        self.init(tenantId: Optional(tenantId), clusterId: clusterId, step: step)
    }

    private init(tenantId: UUID?, clusterId: UUID?, step: String?) {
        self.tenantId = tenantId
        self.clusterId = clusterId
        stepName = step
    }

    /// For the network the managed tenants share in a region.
    public static let shared = Tags(tenantId: nil, clusterId: nil, step: nil)

    func step(_ name: String) -> Tags { Tags(tenantId: tenantId, clusterId: clusterId, step: name) }

    /// Who the resource belongs to: its tenant, or the shared network.
    private var owner: (key: String, value: String) {
        tenantId.map { (Tags.tenant, $0.uuidString.lowercased()) } ?? (Tags.network, Tags.sharedNetwork)
    }

    /// The tags for a resource called `name` (`Name=berth-<name>`... callers pass the full name).
    public func tags(name: String) -> [Tag] {
        var tags = [Tag(Tags.managed, "true"), Tag(owner.key, owner.value)]
        if let clusterId { tags.append(Tag(Tags.cluster, clusterId.uuidString.lowercased())) }
        if let stepName { tags.append(Tag(Tags.step, stepName)) }
        tags.append(Tag("Name", name))
        return tags
    }

    /// EC2 filters that find what this step made for this tenant (and cluster), or for the shared network.
    public var filters: [EC2Filter] {
        var filters = [EC2Filter.tag(Tags.managed, "true"), EC2Filter.tag(owner.key, owner.value)]
        if let clusterId { filters.append(.tag(Tags.cluster, clusterId.uuidString.lowercased())) }
        if let stepName { filters.append(.tag(Tags.step, stepName)) }
        return filters
    }
}
