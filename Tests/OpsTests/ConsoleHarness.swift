import Foundation
import Postgres
import Provisioning
import TestSupport

/// A test database with two tenants, their clusters, an operator and a user bound to the
/// first tenant, and a running `berth console` on a free port.
final class ConsoleHarness: @unchecked Sendable {
    let db: TestDatabase
    let connection: Connection
    let console: ChildProcess
    let port: Int
    /// Tenant names unique to this test: tenant roles (`berth_console_<tenant>`) are server-wide.
    let tenantA = "a" + UUID().uuidString.prefix(8).lowercased()
    let tenantB = "b" + UUID().uuidString.prefix(8).lowercased()
    var clusterA: UUID!
    var clusterB: UUID!
    static let operatorPassword = "operator-password-1"
    static let tenantPassword = "tenant-password-123"

    init() throws {
        db = try TestDatabase.create()
        connection = try db.connect()
        for tenant in [tenantA, tenantB] { _ = try TenantStore(connection).create(TenantStore.NewTenant(name: tenant)) }
        clusterA = try ClusterStore(connection).create(tenant: tenantA, name: "etl", spec: JSONText(#"{"workers": 3}"#))
        clusterB = try ClusterStore(connection).create(tenant: tenantB, name: "web", spec: JSONText("{}"))
        try Self.addUser("ops", tenant: nil, password: Self.operatorPassword, url: db.url)
        try Self.addUser("alice", tenant: tenantA, password: Self.tenantPassword, url: db.url)
        console = try ChildProcess(arguments: ["console", "--listen", "127.0.0.1:0", "--connections", "4"],
                                   environment: ["DATABASE_URL": db.url, "BERTH_LOG_LEVEL": "info"])
        port = try listeningPort(console, marker: "console listening")
    }

    deinit { console.signal(SIGKILL) }

    var environment: [String: String] { ["DATABASE_URL": db.url] }

    static func addUser(_ name: String, tenant: String?, password: String, url: String) throws {
        let result = try runBerth(["console", "user", "add", name] + (tenant.map { ["--tenant", $0] } ?? []),
                                  environment: ["DATABASE_URL": url], stdin: password + "\n")
        guard result.status == 0 else { throw SetupError("console user add \(name): \(result.output)") }
    }

    /// A client signed in as `name`.
    func signIn(_ name: String, password: String) throws -> WebClient {
        let client = WebClient(port: port)
        let form = try client.get("/login")
        let answer = try client.post("/login", form: ["csrf": WebClient.csrf(in: form.body) ?? "", "name": name, "password": password])
        guard answer.status == 303, client.cookies["berth_session"] != nil else {
            throw SetupError("sign-in as \(name) answered \(answer.status): \(answer.body.prefix(400))")
        }
        return client
    }

    func count(_ sql: String, _ params: [any PostgresEncodable] = []) throws -> Int {
        try connection.queryRow(SQL("console_harness_\(abs(sql.hashValue))", sql), params)?.decode("n") ?? 0
    }
}
