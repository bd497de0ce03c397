import Foundation
import Postgres

/// A tenant's limits (docs/tenants.md): at most this many live clusters, workers, vCPUs and GPU
/// workers across its live clusters; nil is unlimited. `berth.create_cluster` enforces them
/// (SQLSTATE 53400); `berth tenant create` takes them from the operator's config, `berth tenant
/// update` changes them.
public struct TenantQuotas: Sendable, Equatable, Encodable {
    public var maxClusters: Int?
    public var maxWorkers: Int?
    public var maxVcpus: Int?
    public var maxGpuWorkers: Int?

    public static let unlimited = TenantQuotas()

    public init(maxClusters: Int? = nil, maxWorkers: Int? = nil, maxVcpus: Int? = nil, maxGpuWorkers: Int? = nil) {
        self.maxClusters = maxClusters
        self.maxWorkers = maxWorkers
        self.maxVcpus = maxVcpus
        self.maxGpuWorkers = maxGpuWorkers
    }

    enum CodingKeys: String, CodingKey {
        case maxClusters = "max_clusters", maxWorkers = "max_workers", maxVcpus = "max_vcpus", maxGpuWorkers = "max_gpu_workers"
    }

    /// Every key, null when unlimited (`--json` shows that a limit is absent, not forgotten).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(maxClusters, forKey: .maxClusters)
        try c.encode(maxWorkers, forKey: .maxWorkers)
        try c.encode(maxVcpus, forKey: .maxVcpus)
        try c.encode(maxGpuWorkers, forKey: .maxGpuWorkers)
    }

    /// The four limits in one order, for tables and the SQL binds.
    public var limits: [(name: String, value: Int?)] {
        [("max_clusters", maxClusters), ("max_workers", maxWorkers), ("max_vcpus", maxVcpus), ("max_gpu_workers", maxGpuWorkers)]
    }

    init(row: Row) throws {
        maxClusters = try row.decodeIfPresent("max_clusters")
        maxWorkers = try row.decodeIfPresent("max_workers")
        maxVcpus = try row.decodeIfPresent("max_vcpus")
        maxGpuWorkers = try row.decodeIfPresent("max_gpu_workers")
    }

    /// A change of some limits: a key that is absent stays as it is.
    public struct Change: Sendable, Equatable {
        public var maxClusters: Limit?
        public var maxWorkers: Limit?
        public var maxVcpus: Limit?
        public var maxGpuWorkers: Limit?

        public init(maxClusters: Limit? = nil, maxWorkers: Limit? = nil, maxVcpus: Limit? = nil, maxGpuWorkers: Limit? = nil) {
            self.maxClusters = maxClusters
            self.maxWorkers = maxWorkers
            self.maxVcpus = maxVcpus
            self.maxGpuWorkers = maxGpuWorkers
        }

        public var isEmpty: Bool { self == Change() }

        public func applied(to quotas: TenantQuotas) -> TenantQuotas {
            TenantQuotas(maxClusters: maxClusters.map(\.value) ?? quotas.maxClusters,
                         maxWorkers: maxWorkers.map(\.value) ?? quotas.maxWorkers,
                         maxVcpus: maxVcpus.map(\.value) ?? quotas.maxVcpus,
                         maxGpuWorkers: maxGpuWorkers.map(\.value) ?? quotas.maxGpuWorkers)
        }
    }

    /// One limit as given on the command line: a whole number from 0 (0 allows none) or
    /// `none` (unlimited: clears the limit).
    public enum Limit: Sendable, Equatable {
        case unlimited
        case atMost(Int)

        public var value: Int? {
            if case .atMost(let n) = self { n } else { nil }
        }

        /// The largest limit the column (integer) holds.
        public static let maximum = Int(Int32.max)

        public init(parsing text: String, option: String) throws(ProvisioningError) {
            let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
            if ["none", "unlimited"].contains(trimmed) {
                self = .unlimited
                return
            }
            guard let n = Int(trimmed), (0...Self.maximum).contains(n) else {
                throw .invalid("\(option) must be a whole number from 0 to \(Self.maximum), or none (unlimited); got \(Quoting.quote(text, limit: 40))")
            }
            self = .atMost(n)
        }
    }
}

/// What a tenant's live clusters hold now, counted as the quota check counts it
/// (`berth.tenant_quota_use`).
public struct TenantQuotaUse: Sendable, Equatable, Encodable {
    public var clusters: Int
    public var workers: Int
    public var vcpus: Double
    public var gpuWorkers: Int

    enum CodingKeys: String, CodingKey {
        case clusters, workers, vcpus, gpuWorkers = "gpu_workers"
    }

    init(row: Row) throws {
        clusters = try row.decode("clusters")
        workers = try row.decode("workers")
        vcpus = try row.decode("vcpus")
        gpuWorkers = try row.decode("gpu_workers")
    }

    /// The use in the limits' order (`TenantQuotas.limits`).
    public var values: [Double] { [Double(clusters), Double(workers), vcpus, Double(gpuWorkers)] }
}
