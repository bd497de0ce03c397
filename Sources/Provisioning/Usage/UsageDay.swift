import Foundation
import Postgres

/// A row of `berth.usage_daily`: what a tenant used on one UTC day with one backend, on spot
/// capacity or not. Hours are exact to a microsecond-hour (6 decimals, as the report reads
/// them); a VM size Berth cannot count (docs/tenants.md) leaves its hours null.
public struct UsageDay: Sendable, Encodable, Equatable {
    public var day: String
    public var tenant: String
    public var backend: String
    public var spot: Bool
    public var clusters: Int
    public var clusterHours: Decimal
    public var workerVcpuHours: Decimal?
    public var workerMemoryGibHours: Decimal?
    public var gpuHours: Decimal?

    enum CodingKeys: String, CodingKey {
        case day, tenant, backend, spot, clusters, clusterHours = "cluster_hours", workerVcpuHours = "worker_vcpu_hours",
             workerMemoryGibHours = "worker_memory_gib_hours", gpuHours = "gpu_hours"
    }

    /// The columns in report order (CSV and the table).
    public static let columns = CodingKeys.allNames

    init(row: Row) throws {
        func decimal(_ column: String) throws -> Decimal? {
            try row.decodeIfPresent(column, as: String.self).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
        }
        day = try row.decode("day")
        tenant = try row.decode("tenant")
        backend = try row.decode("backend")
        spot = try row.decode("spot")
        clusters = try row.decode("clusters")
        clusterHours = try decimal("cluster_hours") ?? 0
        workerVcpuHours = try decimal("worker_vcpu_hours")
        workerMemoryGibHours = try decimal("worker_memory_gib_hours")
        gpuHours = try decimal("gpu_hours")
    }

    public init(day: String, tenant: String, backend: String, spot: Bool, clusters: Int, clusterHours: Decimal,
                workerVcpuHours: Decimal?, workerMemoryGibHours: Decimal?, gpuHours: Decimal?) {
        self.day = day
        self.tenant = tenant
        self.backend = backend
        self.spot = spot
        self.clusters = clusters
        self.clusterHours = clusterHours
        self.workerVcpuHours = workerVcpuHours
        self.workerMemoryGibHours = workerMemoryGibHours
        self.gpuHours = gpuHours
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(day, forKey: .day)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(backend, forKey: .backend)
        try c.encode(spot, forKey: .spot)
        try c.encode(clusters, forKey: .clusters)
        try c.encode(clusterHours, forKey: .clusterHours)
        try c.encode(workerVcpuHours, forKey: .workerVcpuHours)
        try c.encode(workerMemoryGibHours, forKey: .workerMemoryGibHours)
        try c.encode(gpuHours, forKey: .gpuHours)
    }

    /// The row's values as text, in `columns` order ("" for an unknown number).
    public var cells: [String] {
        [day, tenant, backend, spot ? "true" : "false", String(clusters), Self.text(clusterHours), workerVcpuHours.map(Self.text) ?? "",
         workerMemoryGibHours.map(Self.text) ?? "", gpuHours.map(Self.text) ?? ""]
    }

    static func text(_ value: Decimal) -> String {
        value.description
    }
}

extension UsageDay.CodingKeys: CaseIterable {
    static var allNames: [String] { allCases.map(\.stringValue) }
}

/// Reads usage reports from `berth.usage_daily`.
public struct UsageStore {
    public let connection: Connection

    public init(_ connection: Connection) {
        self.connection = connection
    }

    /// Every row of the period, of one tenant or all, by day, tenant, backend and spot.
    public func daily(tenant: String?, period: UsagePeriod) throws -> [UsageDay] {
        if let tenant, try connection.queryRow(ProvisioningSQL.tenantQuotas, [tenant]) == nil {
            throw ProvisioningError.invalid("unknown tenant \(Quoting.quote(tenant)) (see `berth tenant list`)")
        }
        return try connection.query(ProvisioningSQL.usageDaily, [tenant, period.since, period.until]).map(UsageDay.init(row:))
    }
}
