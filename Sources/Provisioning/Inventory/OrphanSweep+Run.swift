import AWS
import Foundation
import Postgres

extension OrphanSweep {
    /// One tenant and region of a sweep: its orphans, what `apply` did with them, or why the
    /// tenant's account could not be read.
    public struct Scope: Sendable, Codable {
        public var tenant: String
        public var region: String
        public var orphans: [Orphan]
        public var results: [Result]?
        public var error: String?
    }

    /// Sweeps `tenant` (every tenant when nil) in `region` (else every region where each has or
    /// had clusters or a network, and its default region), each with its own AWS key; deletes
    /// with `apply`. A tenant whose key cannot be opened is reported, and the others are swept.
    public static func run(tenant name: String?, region: String?, apply: Bool, settings: ProvisioningSettings,
                           borrow: Borrow) throws -> [Scope] {
        if let region, !Regions.supported.contains(region) {
            throw ProvisioningError.invalid("unknown region \(Quoting.quote(region)); Berth supports \(Regions.supported.joined(separator: ", "))")
        }
        var tenants: [Tenant] = []
        try borrow { connection in
            let store = TenantStore(connection)
            // Every tenant but the offboarded: their keys are destroyed and their accounts are no
            // longer Berth's to touch (offboarding ended with nothing of them left). Named, one is
            // swept as far as its access allows.
            tenants = try name.map { [try store.require(name: $0)] } ?? store.list().filter { $0.state != .deleted }
        }
        var scopes: [Scope] = []
        for tenant in tenants {
            var regions = region.map { [$0] } ?? []
            if region == nil {
                try borrow { connection in
                    regions = Array(Set(try connection.query(ProvisioningSQL.tenantSweepRegions, [tenant.id]).map { try $0.decode("region", as: String.self) }
                                        + [tenant.defaultRegion ?? Regions.fallback])).sorted()
                }
            }
            for region in regions {
                var scope = Scope(tenant: tenant.name, region: region, orphans: [], results: nil, error: nil)
                do {
                    var opened: TenantAccess?
                    try borrow { opened = try TenantAccess.open(tenantId: tenant.id, region: region, store: TenantStore($0), settings: settings) }
                    guard let access = opened else { continue }
                    scope.orphans = try find(tenant: access.tenant, region: region, aws: access.aws, borrow: borrow)
                    if apply { scope.results = try self.apply(scope.orphans, tenant: access.tenant, aws: access.aws, borrow: borrow) }
                } catch let failure as TenantAccess.Failure {
                    scope.error = failure.description
                } catch let error as AWSError {
                    // This tenant's account answered with an error (a key without the sweep's
                    // actions, throttling): reported, and the next tenant is swept.
                    scope.error = "AWS: \(error)"
                }
                scopes.append(scope)
            }
        }
        return scopes
    }

    /// The same, on one connection (the CLI's).
    public static func run(tenant: String?, region: String?, apply: Bool, connection: Connection,
                           settings: ProvisioningSettings) throws -> [Scope] {
        try run(tenant: tenant, region: region, apply: apply, settings: settings) { body in try body(connection) }
    }
}
