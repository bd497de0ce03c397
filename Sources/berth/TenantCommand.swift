import ArgumentParser
import AWS
import Foundation
import Provisioning

/// `berth tenant …`: the operator's view of tenants and their AWS keys.
struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Create and list tenants; store a tenant's own AWS key; rotate the master key.",
        subcommands: [Create.self, Credentials.self, List.self, Rekey.self])

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

        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            var tenant = TenantStore.NewTenant(name: name)
            tenant.mode = own ? .own : .managed
            let defaults = try CLIConfig.load()
            tenant.defaultBackend = backend ?? defaults.backend ?? "ecs"
            tenant.defaultRegion = region ?? defaults.region
            // The config file's fargate_spot is an ECS default: it does not apply to a vm tenant.
            tenant.defaultFargateSpot = fargateSpot ? true : (tenant.defaultBackend == "ecs" ? defaults.fargateSpot : nil)
            tenant.gpuAccess = gpuAccess
            do { try tenant.validate() } catch { throw UsageError(error.description) }
            let created = try TenantStore(try common.connect(config: defaults)).create(tenant)
            if json { Output.json(Output.tenantObject(created)); return }
            Output.line("created tenant \(created.name) (\(created.id.uuidString.lowercased())), \(created.awsMode.rawValue) AWS account")
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
            let secret = try readSecret()
            let credentials = AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secret)
            do { try CredentialCheck.refuseTemporary(credentials) } catch { throw UsageError(error.description) }
            let keys: MasterKeys
            do { keys = try MasterKeys.fromEnvironment() } catch { throw UsageError(error.description) }
            let connection = try common.connect()
            let store = TenantStore(connection)
            let tenant: Tenant
            do { tenant = try store.require(name: name) } catch { throw UsageError("\(error)") }
            guard tenant.awsMode == .own else {
                throw UsageError("tenant \(name) uses the service's AWS account; only tenants created with --own hold keys")
            }
            let client = AWSClient(credentials: credentials, region: tenant.defaultRegion ?? Regions.fallback)
            // Bad input (a key AWS refuses, another account while clusters live) exits 2; an
            // endpoint that ignored DryRun, or AWS failing, exits 1.
            func badInput<T>(_ body: () throws -> T) throws -> T {
                do { return try body() } catch let error as ProvisioningError {
                    if case .invalid = error { throw UsageError(error.description) }
                    throw error
                }
            }
            let identity = try badInput { try CredentialCheck.identity(client) }
            try badInput { try store.checkAccount(of: tenant, newAccount: identity.account, replaceAccount: replaceAccount) }
            let missing = try badInput { try CredentialCheck.missingActions(client) }
            let change = try badInput {
                try store.setCredentials(tenant: tenant, credentials: credentials, accountId: identity.account, keys: keys,
                                         replaceAccount: replaceAccount)
            }
            if json {
                Output.json(["tenant": name, "account": identity.account, "arn": identity.arn, "access_key_id": accessKeyId,
                             "missing_actions": missing, "master_key_id": keys.current.id,
                             "previous_account": change.map { $0.from as Any } ?? NSNull()])
                return
            }
            Output.line("stored the key of \(identity.arn) (account \(identity.account)) for tenant \(name), sealed with master key \(keys.current.id)")
            if let change { Output.line(change.description) }
            if missing.isEmpty {
                Output.line("permission preflight: nothing missing")
            } else {
                Output.line("permission preflight: the key may not call \(missing.joined(separator: ", ")); grant the policy `berth iam-policy` prints")
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
            if json { Output.json(tenants.map(Output.tenantObject)); return }
            Output.table(["NAME", "AWS", "KEY", "BACKEND", "REGION", "FARGATE SPOT", "GPU"], tenants.map { t in
                [t.name, t.awsMode.rawValue, t.accessKeyId ?? "-", t.defaultBackend, t.defaultRegion ?? "-",
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
            let keys: MasterKeys
            do { keys = try MasterKeys.fromEnvironment() } catch { throw UsageError(error.description) }
            let report = try TenantStore(try common.connect()).rekey(keys: keys)
            let count = report.resealed
            Output.line("re-sealed \(count) secret\(count == 1 ? "" : "s") under master key \(keys.current.id)")
            guard !report.failed.isEmpty else { return }
            for failure in report.failed { Output.error("berth: tenant \(failure.tenant): \(failure.reason)") }
            let names = report.failed.map(\.tenant).sorted().joined(separator: ", ")
            throw ExitCodeError(code: 1, message: "could not re-seal the secrets of \(report.failed.count) tenant\(report.failed.count == 1 ? "" : "s"): \(names). Give the key they were sealed with in BERTH_OLD_MASTER_KEYS and run again")
        }
    }
}
