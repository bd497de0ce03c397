import AWS
import Foundation
import Postgres
import Provisioning
import Queue
import Testing
import TestSupport

/// One test's world: its own database, its own AWS account in the emulator (a fresh access
/// key the proxy maps to a fresh moto account), and real `berth worker` processes.
final class ProvisioningHarness: @unchecked Sendable {
    let db: TestDatabase
    let connection: Connection
    let endpoint: String
    let accessKeyId: String
    let secretAccessKey: String
    let account: String
    let masterKey: String

    /// By default a fresh key and account on the main emulator. `endpoint`, `key` and `account`
    /// put the harness somewhere else, e.g. on the auth emulator as an IAM user made there (its
    /// secret is given to the proxy so that it can re-sign the requests it rewrites).
    init(endpoint: String? = nil, key: (id: String, secret: String)? = nil, account: String? = nil) throws {
        let configured = endpoint ?? ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL"] ?? ""
        guard !configured.isEmpty else {
            throw SetupError("AWS_ENDPOINT_URL is not set: run the tests with scripts/test, which starts the emulator")
        }
        self.endpoint = configured
        db = try TestDatabase.create()
        connection = try db.connect()
        accessKeyId = key?.id ?? Self.newAccessKeyId()
        secretAccessKey = key?.secret ?? "secret-\(UUID().uuidString)"
        self.account = account ?? Self.newAccount()
        masterKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try registerAccount(key: accessKeyId, account: self.account, secret: key?.secret)
    }

    static func newAccessKeyId() -> String {
        "AKIA" + String((0..<16).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".randomElement()! })
    }

    static func newAccount() -> String {
        String((0..<12).map { _ in "0123456789".randomElement()! })
    }

    /// Tells the proxy which moto account a key belongs to (and, with `secret`, lets it re-sign
    /// that key's rewritten requests; `proxyCalls`: sign its own calls in the account with it).
    func registerAccount(key: String, account: String, secret: String? = nil, proxyCalls: Bool = false) throws {
        try Self.registerAccount(endpoint: endpoint, key: key, account: account, secret: secret, proxyCalls: proxyCalls)
    }

    static func registerAccount(endpoint: String, key: String, account: String, secret: String? = nil, proxyCalls: Bool = false) throws {
        var config: [String: Any] = ["key": key, "account": account]
        if let secret { config["secret"] = secret }
        if proxyCalls { config["internal"] = true }
        let body = try JSONSerialization.data(withJSONObject: config)
        let response = try HTTPClient().perform(HTTPRequest(method: "POST", url: endpoint + "/__berth/accounts",
                                                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body)))
        guard response.status == 200 else { throw SetupError("proxy refused /__berth/accounts: \(response.status)") }
    }

    /// What a worker process (and the CLI) gets in its environment.
    var environment: [String: String] {
        ["DATABASE_URL": db.url, "AWS_ACCESS_KEY_ID": accessKeyId, "AWS_SECRET_ACCESS_KEY": secretAccessKey,
         "AWS_SESSION_TOKEN": "", "BERTH_MASTER_KEY": masterKey, "BERTH_AWS_POLL_INTERVAL": "0.05", "BERTH_LOG_LEVEL": "info",
         "AWS_ENDPOINT_URL": endpoint]
    }

    func worker(concurrency: Int = 8, lease: String = "2s", extraEnvironment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess(arguments: ["worker", "--concurrency", "\(concurrency)", "--handler-connections", "4", "--lease", lease,
                                     "--heartbeat", "200ms", "--rescue-interval", "200ms", "--poll-interval", "50ms",
                                     "--backoff-base", "20ms", "--backoff-cap", "200ms", "--grace-period", "1s"],
                         environment: environment.merging(extraEnvironment) { $1 })
    }

    func berth(_ arguments: [String], stdin: String? = nil, extraEnvironment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try runBerth(arguments, environment: environment.merging(extraEnvironment) { $1 }, stdin: stdin)
    }

    @discardableResult
    func tenant(_ name: String = "t" + UUID().uuidString.prefix(8).lowercased(), gpuAccess: Bool = false,
                own: Bool = false) throws -> Tenant {
        var tenant = TenantStore.NewTenant(name: name)
        tenant.gpuAccess = gpuAccess
        tenant.mode = own ? .own : .managed
        return try TenantStore(connection).create(tenant)
    }

    func create(_ tenant: Tenant, _ name: String, spec: String = "{}") throws -> UUID {
        try ClusterStore(connection).create(tenant: tenant.name, name: name, spec: JSONText(spec))
    }

    func cluster(_ id: UUID) throws -> Cluster {
        guard let cluster = try ClusterStore(connection).get(id: id) else { throw SetupError("no cluster \(id)") }
        return cluster
    }

    /// Polls until the cluster is in `state`; fails early when it lands in another final state.
    @discardableResult
    func waitFor(_ id: UUID, _ state: ClusterState, timeout: Double = 60, worker: ChildProcess? = nil) throws -> Cluster {
        do {
            return try poll(timeout: timeout, every: 0.05, "cluster \(id) to be \(state.rawValue)", until: { try reached($0, state) }) {
                try cluster(id)
            }
        } catch {
            throw SetupError("\(error)\n\(try eventText(id))\n\(worker?.log.suffix(3000) ?? "")")
        }
    }

    /// `waitFor` for async tests (waiting with `Task.sleep`).
    @discardableResult
    func waitFor(_ id: UUID, _ state: ClusterState, timeout: Double = 60, worker: ChildProcess? = nil) async throws -> Cluster {
        do {
            return try await poll(timeout: timeout, every: 0.05, "cluster \(id) to be \(state.rawValue)", until: { try reached($0, state) }) {
                try cluster(id)
            }
        } catch {
            throw SetupError("\(error)\n\(try eventText(id))\n\(worker?.log.suffix(3000) ?? "")")
        }
    }

    /// Whether the cluster is in `state`; throws when it is in a final state other than that.
    private func reached(_ cluster: Cluster, _ state: ClusterState) throws -> Bool {
        if cluster.state == state { return true }
        if [.stopped, .error].contains(cluster.state) || (cluster.state == .ready && state != .stopped) {
            throw SetupError("cluster is \(cluster.state.rawValue) (\(cluster.error ?? "")) instead of \(state.rawValue)")
        }
        return false
    }

    func events(_ id: UUID) throws -> [Event] {
        try EventLog(connection).last(10_000, filter: .init(clusterId: id))
    }

    func eventText(_ id: UUID) throws -> String {
        try events(id).map { "\($0.type) \($0.step ?? "-") \($0.message)" }.joined(separator: "\n")
    }

    func count(_ sql: String, _ params: [any PostgresEncodable] = []) throws -> Int {
        try connection.queryRow(SQL("harness_count_\(abs(sql.hashValue))", sql), params)?.decode("n") ?? 0
    }

    /// An AWS client on this test's account (to look at what Berth made).
    func aws(region: String = "us-east-2") -> AWSClient {
        var configuration = AWSClient.Configuration()
        configuration.rateLimit = .unlimited
        return AWSClient(credentials: AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey), region: region,
                         endpoints: Endpoints(global: endpoint), configuration: configuration)
    }

    /// Everything in AWS that belongs to the cluster (Berth's own live inventory: security
    /// groups and instances by tag, live tasks by `startedBy`, active task definitions).
    func leftovers(of cluster: Cluster) throws -> [String] {
        try ClusterInventory.list(cluster: cluster, aws: aws(region: cluster.region)).map { "\($0.kind) \($0.id) \($0.state)" }
    }

    struct ProxyStats: Decodable {
        let requests: Int
        let forwarded: Int
        let faults: [String: Int]
        let actions: [String: Int]
        /// Calls answered 401/403 (authentication or permission refused), per action.
        let denied: [String: Int]?
    }

    func proxyStats(key: String? = nil) throws -> ProxyStats {
        let response = try HTTPClient().perform(HTTPRequest(method: "GET", url: endpoint + "/__berth/stats?key=\(key ?? accessKeyId)"))
        return try JSONDecoder().decode(ProxyStats.self, from: Data(response.body))
    }

    func injectFaults(key: String? = nil, plan: [String] = [], rates: [String: Double] = [:], actions: [String]? = nil) throws {
        var config: [String: Any] = ["key": key ?? accessKeyId, "plan": plan, "rates": rates, "slow_seconds": 0.2]
        if let actions { config["actions"] = actions }
        let body = try JSONSerialization.data(withJSONObject: config)
        let response = try HTTPClient().perform(HTTPRequest(method: "POST", url: endpoint + "/__berth/faults",
                                                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body)))
        guard response.status == 200 else { throw SetupError("proxy refused faults: \(response.status)") }
    }
}
