import AWS
import Foundation

/// What provisioning jobs need from the process environment: the master keys (for tenants'
/// own keys), the service's own AWS key (managed tenants), AWS endpoints, and how long to
/// wait between looks at AWS.
public struct ProvisioningSettings: Sendable {
    public var masterKeys: MasterKeys?
    /// Why the master keys are missing or bad, reported when a tenant needs them.
    public var masterKeyProblem: String?
    public var managedCredentials: AWSCredentials?
    public var endpoints: Endpoints
    public var awsConfiguration: AWSClient.Configuration
    /// Snooze between looks while AWS works (tasks starting, ENIs draining).
    public var pollInterval: Double = 2
    /// How long a plan waits for a shared network another job is building.
    public var networkWaitDeadline: Double = 1200
    /// How long one step may wait for AWS before the plan fails.
    public var stepWaitDeadline: Double = 900
    /// How long after a create a describe by tag may still miss what it made (EC2 is
    /// eventually consistent): a step that may have created something unrecorded (a lost
    /// answer, a crash) waits this long before it creates again, and a delete this long after
    /// the cluster's last create before it trusts describes.
    public var consistencyWindow: Double = 15
    /// How long an id this plan made may answer "not found" before it counts as gone (AWS
    /// advises backing off up to about five minutes).
    public var visibilityDeadline: Double = 300
    /// How long a new IAM role, instance profile or service-linked role may be refused as not
    /// usable yet before the step fails.
    public var propagationDeadline: Double = 120
    /// How often each tenant and region's reconcile looks at its clusters in AWS
    /// (`berth worker --reconcile-interval`, `BERTH_RECONCILE_INTERVAL`).
    public var reconcileInterval: Double = 30
    /// Test-only: `<step>:<point>` at which the process kills itself (see `CrashPoint`).
    public var crashAt: String?

    public init(masterKeys: MasterKeys? = nil, managedCredentials: AWSCredentials? = nil,
                endpoints: Endpoints = Endpoints(), awsConfiguration: AWSClient.Configuration = AWSClient.Configuration()) {
        self.masterKeys = masterKeys
        self.managedCredentials = managedCredentials
        self.endpoints = endpoints
        self.awsConfiguration = awsConfiguration
    }

    /// `BERTH_MASTER_KEY`, `BERTH_OLD_MASTER_KEYS`, `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_ENDPOINT_URL[_<SERVICE>]`, `BERTH_AWS_POLL_INTERVAL`, `BERTH_AWS_WAIT_DEADLINE`,
    /// `BERTH_AWS_CONSISTENCY_WINDOW`, `BERTH_AWS_VISIBILITY_DEADLINE` and
    /// `BERTH_AWS_PROPAGATION_DEADLINE`, `BERTH_RECONCILE_INTERVAL` (seconds), `BERTH_TEST_CRASH_AT`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ProvisioningSettings {
        var settings = ProvisioningSettings(managedCredentials: AWSCredentials.fromEnvironment(environment),
                                            endpoints: .fromEnvironment(environment))
        do { settings.masterKeys = try MasterKeys.fromEnvironment(environment) } catch {
            settings.masterKeyProblem = error.description
        }
        if let value = environment["BERTH_AWS_POLL_INTERVAL"].flatMap(Double.init), value > 0 { settings.pollInterval = value }
        if let value = environment["BERTH_AWS_WAIT_DEADLINE"].flatMap(Double.init), value > 0 {
            settings.stepWaitDeadline = value
            settings.networkWaitDeadline = value
        }
        if let value = environment["BERTH_AWS_CONSISTENCY_WINDOW"].flatMap(Double.init), value >= 0 { settings.consistencyWindow = value }
        if let value = environment["BERTH_AWS_VISIBILITY_DEADLINE"].flatMap(Double.init), value > 0 { settings.visibilityDeadline = value }
        if let value = environment["BERTH_AWS_PROPAGATION_DEADLINE"].flatMap(Double.init), value > 0 {
            settings.propagationDeadline = value
        }
        if let value = environment["BERTH_RECONCILE_INTERVAL"].flatMap(Double.init), value > 0 { settings.reconcileInterval = value }
        settings.crashAt = environment["BERTH_TEST_CRASH_AT"].flatMap { $0.isEmpty ? nil : $0 }
        return settings
    }

    /// What a worker should say at start about its master keys: none at all, or none that
    /// opens some tenants' secrets (naming the key ids it lacks, never a key). Their jobs are
    /// retried until a worker with the key takes them.
    public func masterKeyWarnings(store: TenantStore) throws -> [String] {
        let sealing = try store.connection.query(ProvisioningSQL.sealingKeys).map {
            (keyId: try $0.decode("secret_key_id", as: String.self), tenants: try $0.decode("tenants", as: [String].self))
        }
        func names(_ tenants: [String]) -> String {
            tenants.count <= 5 ? tenants.joined(separator: ", ") : tenants.prefix(5).joined(separator: ", ") + " and \(tenants.count - 5) more"
        }
        guard let keys = masterKeys else {
            let all = sealing.flatMap(\.tenants).sorted()
            return ["\(masterKeyProblem ?? "BERTH_MASTER_KEY is not set"). This worker cannot open the AWS keys of own-account tenants"
                    + (all.isEmpty ? "" : " (\(names(all)))") + ", nor seal a new cluster's TLS keys; those jobs are retried until a worker that has the key takes them"]
        }
        let clusters = try ClusterTLSStore(store.connection).sealingKeys().filter { keys.key(id: $0.keyId) == nil }.map {
            "this worker lacks master key \($0.keyId), which seals the TLS keys of \($0.clusters) cluster\($0.clusters == 1 ? "" : "s"): their jobs that need them are retried until a worker that has it takes them. Add the key to BERTH_OLD_MASTER_KEYS (and run berth tenant rekey)"
        }
        return sealing.filter { keys.key(id: $0.keyId) == nil }.map {
            "this worker lacks master key \($0.keyId), which seals the AWS keys of tenants \(names($0.tenants)): their jobs are retried until a worker that has it takes them. Add the key to BERTH_OLD_MASTER_KEYS (and run berth tenant rekey)"
        } + clusters
    }
}
