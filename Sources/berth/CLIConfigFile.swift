/// The config file's contents, as written (`CLIConfig` merges them with the environment).
/// Every map is read strictly (``ConfigMap``): unknown keys are refused with what is allowed.
struct CLIConfigFile: Decodable, Equatable {
    var databaseURL: String?
    var listenDatabaseURL: String?
    var databasePoolMode: String?
    var backendOptions: BackendOptions?

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

    static let databaseURL = ConfigMap.Field("database-url", "database_url")
    static let listenDatabaseURL = ConfigMap.Field("listen-database-url", "listen_database_url")
    static let databasePoolMode = ConfigMap.Field("database-pool-mode", "database_pool_mode")
    static let backendOptions = ConfigMap.Field("backend-options", "backend_options")

    init(databaseURL: String? = nil, backendOptions: BackendOptions? = nil) {
        self.databaseURL = databaseURL
        self.backendOptions = backendOptions
    }

    init(from decoder: any Decoder) throws {
        let map = try ConfigMap(decoder, noun: "key", fields: [Self.databaseURL, Self.listenDatabaseURL, Self.databasePoolMode, Self.backendOptions])
        databaseURL = try map.string(Self.databaseURL)
        listenDatabaseURL = try map.string(Self.listenDatabaseURL)
        databasePoolMode = try map.string(Self.databasePoolMode)
        backendOptions = try map.map(Self.backendOptions, as: BackendOptions.self,
                                     requirement: "holds indented keys (region, fargate_spot, backend)")
    }
}
