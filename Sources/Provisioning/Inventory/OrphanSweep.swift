import AWS
import Foundation
import Postgres

/// The orphan sweep (`berth sweep`, and the nightly sweep job): in one tenant's account and
/// region, the cluster-owned resources Berth tagged for that tenant (`TenantInventory`) whose
/// cluster Berth does not know or has `stopped`; with `apply`, deletes them in dependency
/// order, each with an event in the tenant's stream.
///
/// Safe by construction: it only ever considers what carries `berth:managed` and this tenant's
/// `berth:tenant` (or, for a task definition without tags, whose family names one of this
/// tenant's own stopped clusters). The tenant's network, roles and repository are the tenant's,
/// not a cluster's: never swept here (offboarding removes them). AWS is read before the
/// database: a cluster's row commits before any of its resources exists, so a resource of a
/// cluster being created right now always finds its row.
public enum OrphanSweep {
    /// What Berth knows of a cluster.
    public struct KnownCluster: Sendable, Equatable {
        public var tenantId: UUID
        public var state: ClusterState
        public init(tenantId: UUID, state: ClusterState) {
            self.tenantId = tenantId
            self.state = state
        }
    }

    public struct Orphan: Sendable, Codable, Equatable {
        public var resource: BerthResource
        /// Why it is an orphan: its cluster is unknown, or stopped.
        public var reason: String
    }

    /// What `apply` did with one orphan.
    public enum Outcome: String, Sendable, Codable {
        case deleted
        /// AWS answered "not found": already gone, or (EC2 being eventually consistent) too new
        /// to be seen by id yet; the next sweep lists it again if it still exists.
        case gone = "not found"
        /// Still in use (a security group whose network interfaces are draining): the next sweep deletes it.
        case inUse = "in use"
        case failed
    }

    public struct Result: Sendable, Codable, Equatable {
        public var orphan: Orphan
        public var outcome: Outcome
        public var detail: String?
    }

    /// The orphans among `resources` (pure): cluster-owned kinds whose cluster is unknown to
    /// Berth or stopped, for `tenant` only; in deletion order.
    public static func orphans(_ resources: [BerthResource], tenant: UUID, known: [UUID: KnownCluster]) -> [Orphan] {
        resources.compactMap { resource -> Orphan? in
            guard resource.kind.clusterOwned, let cluster = resource.clusterId else { return nil }
            let row = known[cluster]
            if let row, row.tenantId != tenant { return nil }  // another tenant's cluster: never touched
            if resource.tenantId == nil {
                // Untagged: only when the family names this tenant's own stopped cluster.
                guard let row, row.state == .stopped else { return nil }
                return Orphan(resource: resource, reason: "untagged, of stopped cluster \(cluster.uuidString.lowercased())")
            }
            guard resource.tenantId == tenant else { return nil }
            guard let row else { return Orphan(resource: resource, reason: "cluster \(cluster.uuidString.lowercased()) is unknown to Berth") }
            return row.state == .stopped ? Orphan(resource: resource, reason: "cluster \(cluster.uuidString.lowercased()) is stopped") : nil
        }
        .sorted { ($0.resource.kind.rank, $0.resource.id) < ($1.resource.kind.rank, $1.resource.id) }
    }

    /// Lends a database connection for one short piece of work (never across an AWS call): the
    /// CLI's own connection, or a job's pool (`JobContext.withConnection`).
    public typealias Borrow = ((Connection) throws -> Void) throws -> Void

    /// Lists the tenant's resources in `region`, then what Berth knows of their clusters, and
    /// returns the orphans.
    public static func find(tenant: Tenant, region: String, aws: AWSClient, borrow: Borrow) throws -> [Orphan] {
        let resources = try TenantInventory.list(tenant: tenant, region: region, aws: aws)
        let ids = Array(Set(resources.compactMap(\.clusterId))).map { $0.uuidString.lowercased() }
        var known: [UUID: KnownCluster] = [:]
        try borrow { connection in
            for row in try connection.query(ProvisioningSQL.clusterOwners, [ids]) {
                known[try row.decode("id")] = KnownCluster(tenantId: try row.decode("tenant_id"), state: try row.decode("state", as: ClusterState.self))
            }
        }
        return orphans(resources, tenant: tenant.id, known: known)
    }

    /// Deletes `orphans` in their order; "not found" and `DependencyViolation` are left for the
    /// next sweep. Each outcome is an event (`sweep.deleted`, `sweep.not_found`, `sweep.waiting`,
    /// `sweep.failed`) in the tenant's stream. Safe to run again.
    public static func apply(_ orphans: [Orphan], tenant: Tenant, aws: AWSClient, borrow: Borrow) throws -> [Result] {
        var results: [Result] = []
        for orphan in orphans {
            let resource = orphan.resource
            var result = Result(orphan: orphan, outcome: .deleted, detail: nil)
            // (A Result rather than do/catch: Swift 6.3 crashes compiling the latter on typed throws.)
            if case .failure(let error) = Swift.Result(catching: { () throws(AWSError) in try delete(resource, tenant: tenant, aws: aws) }) {
                switch error.classification {
                case .notFound: result.outcome = .gone
                case .dependencyViolation: result = Result(orphan: orphan, outcome: .inUse, detail: "\(error.code): \(error.message)")
                default: result = Result(orphan: orphan, outcome: .failed, detail: "\(error.code): \(error.message)")
                }
            }
            let type = switch result.outcome {
            case .deleted: "sweep.deleted"
            case .gone: "sweep.not_found"
            case .inUse: "sweep.waiting"
            case .failed: "sweep.failed"
            }
            let message = switch result.outcome {
            case .deleted: "sweep: deleted orphaned \(resource.kind.rawValue) \(resource.id) (\(orphan.reason))"
            case .gone: "sweep: AWS does not find orphaned \(resource.kind.rawValue) \(resource.id) (gone, or too new to be seen by id; the next sweep looks again)"
            case .inUse: "sweep: orphaned \(resource.kind.rawValue) \(resource.id) is still in use; the next sweep deletes it (\(result.detail ?? ""))"
            case .failed: "sweep: could not delete orphaned \(resource.kind.rawValue) \(resource.id): \(result.detail ?? "")"
            }
            let data: [String: String] = ["kind": resource.kind.rawValue, "id": resource.id, "region": resource.region,
                                          "cluster": resource.clusterId?.uuidString.lowercased() ?? "", "outcome": result.outcome.rawValue]
            let json = String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
            try borrow { connection in
                _ = try connection.execute(ProvisioningSQL.addEvent, [tenant.name, Optional<UUID>.none, Optional<String>.none, Optional<Int64>.none,
                                                                      type, Optional<String>.none, message, json])
            }
            results.append(result)
        }
        return results
    }

    private static func delete(_ resource: BerthResource, tenant: Tenant, aws: AWSClient) throws(AWSError) {
        switch resource.kind {
        case .ecsTask:
            _ = try aws.stopTask(cluster: Names.ecsCluster(tenant: tenant.name), task: resource.id, reason: "Berth sweep: orphaned task")
        case .instance: _ = try aws.terminateInstances(ids: [resource.id])
        case .securityGroup: try aws.deleteSecurityGroup(id: resource.id)
        case .taskDefinition: try aws.deregisterTaskDefinition(resource.id)
        case .secret: try aws.deleteSecret(resource.id)
        case .vpc, .subnet, .internetGateway, .routeTable:
            break  // never an orphan here (orphans(): not cluster-owned)
        }
    }
}
