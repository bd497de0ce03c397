import ArgumentParser
import AWS
import Foundation
import Provisioning

/// `berth tenant …`: the operator's view of tenants and their AWS keys.
struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Create, list, update and delete tenants; store a tenant's own AWS key; rotate the master key.",
        subcommands: [Create.self, Credentials.self, List.self, Rekey.self, Update.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant. By default it runs in the service's AWS account (managed).")

        @Argument(help: "Tenant name: 2-32 lowercase letters, digits and dashes, starting with a letter.")
        var name: String

        @Flag(help: "The tenant uses its own AWS account (then: berth tenant credentials).")
        var own = false

        @Option(help: "Default backend for its clusters: ecs or vm.")
        var backend: String?

        @Option(help: "Default region (us-east-1, us-east-2, us-west-1, eu-central-1, eu-west-2).")
        var region: String?

        @Flag(help: "Default to Fargate Spot for ECS workers.")
        var fargateSpot = false

        @Flag(help: "The tenant may ask for GPU workers (vm backend).")
        var gpuAccess = false

        @Option(help: "IAM role its clusters' workers run with (data access): arn:aws:iam::ACCOUNT:role/NAME.")
        var workerRoleArn: String?

        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let config = try CLIConfig.load()
            var tenant = try TenantStore.NewTenant(name: name, own: own, backend: backend, region: region, fargateSpot: fargateSpot,
                                                   gpuAccess: gpuAccess, defaults: config.backendOptions)
            tenant.quotas = config.quotaDefaults
            tenant.workerRoleArn = workerRoleArn
            try tenant.validate()
            let created = try TenantStore(try common.connect(config: config)).create(tenant)
            if json { Output.json(created); return }
            Output.line("created tenant \(created.name) (\(created.id.uuidString.lowercased())), \(created.awsMode.rawValue) AWS account")
            let limits = tenant.quotas.limits.compactMap { limit in limit.value.map { "\(limit.name) \($0)" } }
            if !limits.isEmpty { Output.line("quotas (from the config's quota-defaults): \(limits.joined(separator: ", "))") }
            if created.awsMode == .own {
                Output.line("next: berth tenant credentials \(created.name) --access-key-id AKIA... --secret-access-key-stdin")
            }
        }
    }

    struct Credentials: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a tenant's long-lived AWS key with STS, store it sealed (AES-256-GCM), and report missing permissions.",
            discussion: "The secret is read from stdin or a file, never from a flag (flags end up in shell history and ps). Needs BERTH_MASTER_KEY.")

        @Argument(help: "The tenant's name.")
        var name: String

        @Option(help: "The access key id (AKIA…).")
        var accessKeyId: String

        @Flag(help: "Read the secret access key from standard input.")
        var secretAccessKeyStdin = false

        @Option(help: "Read the secret access key from this file.")
        var secretAccessKeyFile: String?

        @Flag(help: "Allow a key of another AWS account than the stored one; only while none of the tenant's clusters is live.")
        var replaceAccount = false

        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func validate() throws {
            if secretAccessKeyStdin == (secretAccessKeyFile != nil) {
                throw ValidationError("give the secret with exactly one of --secret-access-key-stdin or --secret-access-key-file PATH")
            }
        }

        func run() throws {
            let credentials = AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: try readSecret())
            let keys = try MasterKeys.fromEnvironment()
            // Bad input (a key AWS refuses, another account while clusters live) exits 2; an
            // endpoint that ignored DryRun, or AWS failing, exits 1.
            let stored = try TenantStore(try common.connect())
                .storeCheckedKey(credentials, tenant: name, keys: keys, replaceAccount: replaceAccount)
            if json { Output.json(stored); return }
            Output.line("stored the key of \(stored.arn) (account \(stored.account)) for tenant \(name), sealed with master key \(stored.masterKeyId)")
            if let change = stored.accountChange { Output.line(change.description) }
            if stored.missingActions.isEmpty {
                Output.line("permission preflight: nothing missing")
            } else {
                Output.line("permission preflight: the key may not call \(stored.missingActions.joined(separator: ", ")); grant the policy `berth iam-policy` prints")
            }
        }

        private func readSecret() throws -> String {
            let data: Data
            if let path = secretAccessKeyFile {
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw UsageError("cannot read --secret-access-key-file \(path)")
                }
                data = contents
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw UsageError("the secret access key is empty") }
            return secret
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let tenants = try TenantStore(try common.connect()).list()
            if json { Output.json(tenants); return }
            Output.table(["NAME", "STATE", "AWS", "KEY", "BACKEND", "REGION", "FARGATE SPOT", "GPU"], tenants.map { t in
                [t.name, t.state.rawValue, t.awsMode.rawValue, t.accessKeyId ?? "-", t.defaultBackend.rawValue, t.defaultRegion ?? "-",
                 t.defaultFargateSpot.map { "\($0)" } ?? "-", t.gpuAccess ? "yes" : "no"]
            })
        }
    }

    struct Rekey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every stored secret under BERTH_MASTER_KEY.",
            discussion: "Rotation: set the new key as BERTH_MASTER_KEY and the old one in BERTH_OLD_MASTER_KEYS (comma-separated), run this, then drop the old key. Each row is re-sealed in its own transaction; tenants whose secret none of the keys opens are named, and the exit code is 1.")
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let keys = try MasterKeys.fromEnvironment()
            let connection = try common.connect()
            let report = try TenantStore(connection).rekey(keys: keys)
            let count = report.resealed
            Output.line("re-sealed \(count) secret\(count == 1 ? "" : "s") under master key \(keys.current.id)")
            // Every cluster's TLS keys are sealed the same way (berth.cluster_tls).
            let clusters = try ClusterTLSStore(connection).rekey(keys: keys)
            Output.line("re-sealed the TLS keys of \(clusters.resealed) cluster\(clusters.resealed == 1 ? "" : "s") under master key \(keys.current.id)")
            guard !report.failed.isEmpty || !clusters.failed.isEmpty else { return }
            for failure in report.failed { Output.error("berth: tenant \(failure.tenant): \(failure.reason)") }
            for failure in clusters.failed { Output.error("berth: cluster \(failure.cluster.uuidString.lowercased()): \(failure.reason)") }
            var what: [String] = []
            if !report.failed.isEmpty {
                let names = report.failed.map(\.tenant).sorted().joined(separator: ", ")
                what.append("the secrets of \(report.failed.count) tenant\(report.failed.count == 1 ? "" : "s"): \(names)")
            }
            if !clusters.failed.isEmpty {
                what.append("the TLS keys of \(clusters.failed.count) cluster\(clusters.failed.count == 1 ? "" : "s")")
            }
            throw ExitCodeError(code: 1, message: "could not re-seal \(what.joined(separator: " and ")). Give the key they were sealed with in BERTH_OLD_MASTER_KEYS and run again")
        }
    }
}
