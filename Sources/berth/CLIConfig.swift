import Foundation
import Postgres
import Provisioning

/// What the CLI reads outside its arguments: the database URL and the backend options of the
/// environment and the config file. How they rank against flags, specs and the tenant's
/// defaults is Provisioning's (`ClusterRequest`, `TenantStore.NewTenant`).
///
/// File: `$XDG_CONFIG_HOME/berth/config.yaml` (else `~/.config/berth/config.yaml`):
///
///     database-url: postgresql://berth@127.0.0.1:6432/berth
///     listen-database-url: postgresql://berth@127.0.0.1:5432/berth
///     database-pool-mode: transaction
///     backend-options:
///       region: us-west-1
///       fargate_spot: true
///       backend: ecs
///     quota-defaults:        # limits of tenants `berth tenant create` makes; none: unlimited
///       max-clusters: 10
///       max-workers: 200
///     retention:             # what `berth worker` prunes (its flags win); 0 keeps forever
///       jobs: 7d             # succeeded and cancelled jobs
///       failed-jobs: 30d
///       events: 90d
///       events-kept-per-cluster: 20
///     nightly-sweep: dry-run # the orphan sweep job: off (default), dry-run or apply
///
/// Environment: `DATABASE_URL`, `BERTH_LISTEN_DATABASE_URL`, `BERTH_DATABASE_POOL_MODE`,
/// `BERTH_REGION`, `BERTH_FARGATE_SPOT`, `BERTH_BACKEND`.
struct CLIConfig: Equatable {
    var databaseURL: String?
    /// A direct connection to PostgreSQL when `databaseURL` is a pooler (see `Database`).
    var listenDatabaseURL: String?
    /// `session` or `transaction` (`PoolMode`), as written.
    var databasePoolMode: String?
    /// The environment's options over the file's (`BackendOptions.over`).
    var backendOptions = BackendOptions()
    var quotaDefaults = TenantQuotas.unlimited
    var retention = CLIConfigFile.Retention()
    /// The nightly orphan sweep, as written (`off`, `dry-run`, `apply`).
    var nightlySweep: String?

    static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CLIConfig {
        var config = try file(environment: environment)
        if let value = environment["DATABASE_URL"], !value.isEmpty { config.databaseURL = value }
        if let value = environment["BERTH_LISTEN_DATABASE_URL"], !value.isEmpty { config.listenDatabaseURL = value }
        if let value = environment["BERTH_DATABASE_POOL_MODE"], !value.isEmpty { config.databasePoolMode = value }
        var options = BackendOptions()
        if let value = environment["BERTH_REGION"], !value.isEmpty { options.region = value }
        if let value = environment["BERTH_BACKEND"], !value.isEmpty { options.backend = value }
        if let value = environment["BERTH_FARGATE_SPOT"], !value.isEmpty {
            guard let flag = parseBool(value) else { throw UsageError("BERTH_FARGATE_SPOT must be true or false, got '\(value)'") }
            options.fargateSpot = flag
        }
        config.backendOptions = options.over(config.backendOptions)
        return config
    }

    static func path(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return "\(xdg)/berth/config.yaml" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return "\(home)/.config/berth/config.yaml"
    }

    /// The file's settings; no file means none.
    static func file(environment: [String: String]) throws -> CLIConfig {
        let path = path(environment: environment)
        guard let data = FileManager.default.contents(atPath: path) else { return CLIConfig() }
        guard let text = String(data: data, encoding: .utf8) else { throw UsageError("\(path): not UTF-8 text") }
        do { return try parse(text) } catch let error as UsageError {
            throw UsageError("\(path): \(error.description)")
        }
    }

    /// The file's settings (YAML, read strictly: see ``CLIConfigFile``).
    static func parse(_ text: String) throws -> CLIConfig {
        let file = try CLIConfigFile.read(text)
        let quotas = file.quotaDefaults
        return CLIConfig(databaseURL: file.databaseURL, listenDatabaseURL: file.listenDatabaseURL, databasePoolMode: file.databasePoolMode,
                         backendOptions: BackendOptions(backend: file.backendOptions?.backend, region: file.backendOptions?.region,
                                                        fargateSpot: file.backendOptions?.fargateSpot),
                         quotaDefaults: TenantQuotas(maxClusters: quotas?.maxClusters, maxWorkers: quotas?.maxWorkers,
                                                     maxVcpus: quotas?.maxVcpus, maxGpuWorkers: quotas?.maxGpuWorkers),
                         retention: file.retention ?? CLIConfigFile.Retention(), nightlySweep: file.nightlySweep)
    }

    static func parseBool(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }
}


