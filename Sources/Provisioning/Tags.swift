import AWS
import Foundation

/// The tags on every AWS resource Berth creates: `berth:managed`, `berth:tenant`,
/// `berth:cluster` (cluster-owned resources), `berth:step` and `Name`.
public struct Tags: Sendable {
    public static let managed = "berth:managed"
    public static let tenant = "berth:tenant"
    public static let cluster = "berth:cluster"
    public static let step = "berth:step"

    public let tenantId: UUID
    public let clusterId: UUID?
    public let stepName: String?

    public init(tenantId: UUID, clusterId: UUID? = nil, step: String? = nil) {
        self.tenantId = tenantId
        self.clusterId = clusterId
        stepName = step
    }

    func step(_ name: String) -> Tags { Tags(tenantId: tenantId, clusterId: clusterId, step: name) }

    /// The tags for a resource called `name` (`Name=berth-<name>`... callers pass the full name).
    public func tags(name: String) -> [Tag] {
        var tags = [Tag(Tags.managed, "true"), Tag(Tags.tenant, tenantId.uuidString.lowercased())]
        if let clusterId { tags.append(Tag(Tags.cluster, clusterId.uuidString.lowercased())) }
        if let stepName { tags.append(Tag(Tags.step, stepName)) }
        tags.append(Tag("Name", name))
        return tags
    }

    /// EC2 filters that find what this step made for this tenant (and cluster).
    public var filters: [EC2Filter] {
        var filters = [EC2Filter.tag(Tags.managed, "true"), EC2Filter.tag(Tags.tenant, tenantId.uuidString.lowercased())]
        if let clusterId { filters.append(.tag(Tags.cluster, clusterId.uuidString.lowercased())) }
        if let stepName { filters.append(.tag(Tags.step, stepName)) }
        return filters
    }
}
