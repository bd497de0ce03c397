/// The config file's contents, as written (`CLIConfig` merges them with the environment).
/// Every map is read strictly (``ConfigMap``): unknown keys are refused with what is allowed.
struct CLIConfigFile: Decodable, Equatable {
    var databaseURL: String?
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
    static let backendOptions = ConfigMap.Field("backend-options", "backend_options")

    init(databaseURL: String? = nil, backendOptions: BackendOptions? = nil) {
        self.databaseURL = databaseURL
        self.backendOptions = backendOptions
    }

    init(from decoder: any Decoder) throws {
        let map = try ConfigMap(decoder, noun: "key", fields: [Self.databaseURL, Self.backendOptions])
        databaseURL = try map.string(Self.databaseURL)
        backendOptions = try map.map(Self.backendOptions, as: BackendOptions.self,
                                     requirement: "holds indented keys (region, fargate_spot, backend)")
    }
}
