import ArgumentParser
import Provisioning

extension TenantCommand {
    /// `berth tenant update NAME …`: parsing only; TenantStore checks and writes.
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a tenant's settings.",
            discussion: "The worker role applies to clusters created afterwards; a cluster keeps the role its spec recorded.")

        @Argument(help: "The tenant's name.")
        var name: String

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
            if workerRoleArn == nil && !noWorkerRole {
                throw ValidationError("nothing to change: give --worker-role-arn ARN or --no-worker-role")
            }
        }

        func run() throws {
            let tenant = try TenantStore(try common.connect()).setWorkerRole(tenant: name, arn: noWorkerRole ? nil : workerRoleArn)
            if json { Output.json(tenant); return }
            Output.line("tenant \(tenant.name): worker role \(tenant.workerRoleArn ?? "none (workers have no AWS identity)")")
        }
    }
}
