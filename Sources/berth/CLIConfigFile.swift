/// The config file's contents, as written (`CLIConfig` merges them with the environment).
/// Every map is read strictly (``ConfigMap``): unknown keys are refused with what is allowed.
struct CLIConfigFile: Decodable, Equatable {
    var databaseURL: String?
    var listenDatabaseURL: String?
    var databasePoolMode: String?
    var backendOptions: BackendOptions?
    var quotaDefaults: QuotaDefaults?
    var retention: Retention?
    /// `off`, `dry-run` or `apply`: the nightly orphan sweep (`berth worker --nightly-sweep` wins).
    var nightlySweep: String?

    struct BackendOptions: Decodable, Equatable {
        var region: String?
        var fargateSpot: Bool?
        var backend: String?

        static let region = ConfigMap.Field("region")
        static let fargateSpot = ConfigMap.Field("fargate_spot", "fargate-spot")
        static let backend = ConfigMap.Field("backend")

        init(region: String? = nil, fargateSpot: Bool? = nil, backend: String? = nil) {
            self.region = region
            self.fargateSpot = fargateSpot
            self.backend = backend
        }

        init(from decoder: any Decoder) throws {
            let map = try ConfigMap(decoder, noun: "backend option", fields: [Self.region, Self.fargateSpot, Self.backend])
            region = try map.string(Self.region)
            fargateSpot = try map.bool(Self.fargateSpot)
            backend = try map.string(Self.backend)
        }
    }

    /// The limits a tenant gets when `berth tenant create` makes it (none: unlimited).
    struct QuotaDefaults: Decodable, Equatable {
        var maxClusters: Int?
        var maxWorkers: Int?
        var maxVcpus: Int?
        var maxGpuWorkers: Int?

        static let maxClusters = ConfigMap.Field("max-clusters", "max_clusters")
        static let maxWorkers = ConfigMap.Field("max-workers", "max_workers")
        static let maxVcpus = ConfigMap.Field("max-vcpus", "max_vcpus")
        static let maxGpuWorkers = ConfigMap.Field("max-gpu-workers", "max_gpu_workers")

        init(maxClusters: Int? = nil, maxWorkers: Int? = nil, maxVcpus: Int? = nil, maxGpuWorkers: Int? = nil) {
            self.maxClusters = maxClusters
            self.maxWorkers = maxWorkers
            self.maxVcpus = maxVcpus
            self.maxGpuWorkers = maxGpuWorkers
        }

        init(from decoder: any Decoder) throws {
            let map = try ConfigMap(decoder, noun: "quota default",
                                    fields: [Self.maxClusters, Self.maxWorkers, Self.maxVcpus, Self.maxGpuWorkers])
            maxClusters = try map.limit(Self.maxClusters)
            maxWorkers = try map.limit(Self.maxWorkers)
            maxVcpus = try map.limit(Self.maxVcpus)
            maxGpuWorkers = try map.limit(Self.maxGpuWorkers)
        }
    }

    /// How long the workers keep finished jobs and events (`berth worker`'s retention flags
    /// win over these); 0 keeps forever.
    struct Retention: Decodable, Equatable {
        var jobs: Double?
        var failedJobs: Double?
        var events: Double?
        var eventsKeptPerCluster: Int?

        static let jobs = ConfigMap.Field("jobs")
        static let failedJobs = ConfigMap.Field("failed-jobs", "failed_jobs")
        static let events = ConfigMap.Field("events")
        static let eventsKeptPerCluster = ConfigMap.Field("events-kept-per-cluster", "events_kept_per_cluster")

        init(jobs: Double? = nil, failedJobs: Double? = nil, events: Double? = nil, eventsKeptPerCluster: Int? = nil) {
            self.jobs = jobs
            self.failedJobs = failedJobs
            self.events = events
            self.eventsKeptPerCluster = eventsKeptPerCluster
        }

        init(from decoder: any Decoder) throws {
            let map = try ConfigMap(decoder, noun: "retention setting",
                                    fields: [Self.jobs, Self.failedJobs, Self.events, Self.eventsKeptPerCluster])
            jobs = try map.duration(Self.jobs)
            failedJobs = try map.duration(Self.failedJobs)
            events = try map.duration(Self.events)
            eventsKeptPerCluster = try map.count(Self.eventsKeptPerCluster)
        }
    }

    static let databaseURL = ConfigMap.Field("database-url", "database_url")
    static let listenDatabaseURL = ConfigMap.Field("listen-database-url", "listen_database_url")
    static let databasePoolMode = ConfigMap.Field("database-pool-mode", "database_pool_mode")
    static let backendOptions = ConfigMap.Field("backend-options", "backend_options")
    static let quotaDefaults = ConfigMap.Field("quota-defaults", "quota_defaults")
    static let retention = ConfigMap.Field("retention")
    static let nightlySweep = ConfigMap.Field("nightly-sweep", "nightly_sweep")

    init(databaseURL: String? = nil, backendOptions: BackendOptions? = nil, quotaDefaults: QuotaDefaults? = nil,
         retention: Retention? = nil) {
        self.databaseURL = databaseURL
        self.backendOptions = backendOptions
        self.quotaDefaults = quotaDefaults
        self.retention = retention
    }

    init(from decoder: any Decoder) throws {
        let map = try ConfigMap(decoder, noun: "key", fields: [Self.databaseURL, Self.listenDatabaseURL, Self.databasePoolMode, Self.backendOptions, Self.quotaDefaults, Self.retention, Self.nightlySweep])
        databaseURL = try map.string(Self.databaseURL)
        listenDatabaseURL = try map.string(Self.listenDatabaseURL)
        databasePoolMode = try map.string(Self.databasePoolMode)
        backendOptions = try map.map(Self.backendOptions, as: BackendOptions.self,
                                     requirement: "holds indented keys (region, fargate_spot, backend)")
        quotaDefaults = try map.map(Self.quotaDefaults, as: QuotaDefaults.self,
                                    requirement: "holds indented keys (max-clusters, max-workers, max-vcpus, max-gpu-workers)")
        retention = try map.map(Self.retention, as: Retention.self,
                                requirement: "holds indented keys (jobs, failed-jobs, events, events-kept-per-cluster)")
        nightlySweep = try map.string(Self.nightlySweep)
    }
}
