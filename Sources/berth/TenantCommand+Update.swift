import ArgumentParser
import Provisioning

extension TenantCommand {
    /// `berth tenant update NAME [--max-clusters N] … [--worker-role-arn ARN | --no-worker-role]`:
    /// a tenant's quotas and worker role. Without options it shows the quotas, with what the
    /// tenant's live clusters hold now. Parsing only; TenantStore checks and writes.
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a tenant's quotas or worker role; without options, show its quotas.",
            discussion: """
                A limit is a whole number (0 allows none) or `none` (unlimited). berth.create_cluster refuses a cluster \
                that would go over one (SQLSTATE 53400); clusters already live keep running. See docs/tenants.md. \
                The worker role applies to clusters created afterwards; a cluster keeps the role its spec recorded.
                """)

        @Argument(help: "The tenant's name.")
        var name: String

        @Option(help: ArgumentHelp("Live clusters at most.", valueName: "n|none"))
        var maxClusters: String?

        @Option(help: ArgumentHelp("Workers at most, summed over live clusters.", valueName: "n|none"))
        var maxWorkers: String?

        @Option(help: ArgumentHelp("vCPUs at most, summed over live clusters (workers and schedulers).", valueName: "n|none"))
        var maxVcpus: String?

        @Option(help: ArgumentHelp("GPU workers at most, summed over live clusters.", valueName: "n|none"))
        var maxGpuWorkers: String?

        @Option(help: "IAM role its clusters' workers run with (data access): arn:aws:iam::ACCOUNT:role/NAME.")
        var workerRoleArn: String?

        @Flag(help: "Workers get no AWS identity (the tenant's worker role is removed).")
        var noWorkerRole = false

        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func validate() throws {
            if workerRoleArn != nil && noWorkerRole {
                throw ValidationError("give at most one of --worker-role-arn ARN or --no-worker-role")
            }
        }

        func run() throws {
            func limit(_ text: String?, _ option: String) throws -> TenantQuotas.Limit? {
                guard let text else { return nil }
                return try TenantQuotas.Limit(parsing: text, option: option)
            }
            let change = TenantQuotas.Change(maxClusters: try limit(maxClusters, "--max-clusters"),
                                             maxWorkers: try limit(maxWorkers, "--max-workers"),
                                             maxVcpus: try limit(maxVcpus, "--max-vcpus"),
                                             maxGpuWorkers: try limit(maxGpuWorkers, "--max-gpu-workers"))
            let store = TenantStore(try common.connect())
            let roleChange = workerRoleArn != nil || noWorkerRole
            if roleChange {
                let tenant = try store.setWorkerRole(tenant: name, arn: noWorkerRole ? nil : workerRoleArn)
                if json && change.isEmpty { Output.json(tenant); return }
                if !json {
                    Output.line("tenant \(tenant.name): worker role \(tenant.workerRoleArn ?? "none (workers have no AWS identity)")")
                }
                if change.isEmpty { return }
            }
            let now = change.isEmpty ? try store.quotas(of: name) : try store.updateQuotas(of: name, change)
            if json {
                Output.json(["tenant": name, "quotas": Output.object(now.quotas), "use": Output.object(now.use)])
                return
            }
            if !change.isEmpty { Output.line("updated the quotas of tenant \(name)") }
            Output.table(["QUOTA", "LIMIT", "IN USE"], zip(now.quotas.limits, now.use.values).map { limit, use in
                [limit.name, limit.value.map(String.init) ?? "none", use.quotaText]
            })
        }
    }
}

extension Double {
    /// 3 rather than 3.0; 0.25 as it is.
    fileprivate var quotaText: String {
        rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
