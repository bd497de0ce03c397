import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// `berth events --follow` and `cluster create|delete --wait` across a real PostgreSQL restart:
/// they reconnect, LISTEN again and carry on from the last event they saw, printing each event
/// exactly once. The server is a private one (restarting the shared one would break the tests
/// running beside these), as in PostgresTests.ReconnectTests.
@Suite struct FollowRestartTests {
    final class PrivateServer {
        let state: String
        let url: String
        let connection: Connection

        init() throws {
            state = FileManager.default.temporaryDirectory.appendingPathComponent("berth-follow-\(UUID().uuidString.prefix(8))").path
            let start = try Self.script("pg-start", [state])
            guard start.status == 0, let line = start.output.split(separator: "\n").first(where: { $0.hasPrefix("export DATABASE_URL=") }) else {
                throw SetupError("pg-start failed: \(start.output)")
            }
            url = String(line.dropFirst("export DATABASE_URL=".count))
            connection = try Connection(url: url, applicationName: "berth tests")
            try Migrator(migrations: Migration.load(from: Project.root.appendingPathComponent("migrations"))).apply(on: connection)
        }

        deinit { _ = try? Self.script("pg-stop", [state]) }

        func restart() throws {
            let restart = try Self.script("pg-restart", [state])
            guard restart.status == 0 else { throw SetupError("pg-restart failed: \(restart.output)") }
        }

        /// Runs `body`, reconnecting while the server comes back.
        func retrying<T>(_ body: (Connection) throws -> T) throws -> T {
            let deadline = Date().addingTimeInterval(30)
            while true {
                do { return try body(connection) } catch let error as PostgresError where error.isConnectionError && Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.05)  // back-off between attempts while the server starts
                }
            }
        }

        func event(tenant: String, message: String, clusterId: UUID? = nil, cluster: String? = nil, state: String? = nil) throws {
            try retrying {
                try $0.execute(SQL("test_follow_event", """
                    insert into berth.events (tenant, cluster_id, cluster_name, type, state, message)
                    values ($1, $2, $3, case when $4::text is null then 'info' else 'state' end, $4, $5)
                    """), [tenant, clusterId, cluster, state, message])
            }
        }

        var environment: [String: String] { ["DATABASE_URL": url, "XDG_CONFIG_HOME": "/nonexistent-berth-config", "BERTH_LOG_LEVEL": "info"] }

        static func script(_ name: String, _ args: [String]) throws -> (status: Int32, output: String) {
            try spawnAndWait(Project.root.appendingPathComponent("scripts/\(name)").path, args)
        }
    }

    /// Lines of `log` that end with `suffix` (an event's message).
    static func count(_ log: String, _ message: String) -> Int {
        log.split(separator: "\n").filter { $0.hasSuffix("] \(message)") }.count
    }

    @Test func eventsFollowSurvivesARestart() throws {
        let server = try PrivateServer()
        try TenantStore(server.connection).create(TenantStore.NewTenant(name: "rs"))
        try server.event(tenant: "rs", message: "event 0")
        let follower = try ChildProcess(arguments: ["events", "--tenant", "rs", "--follow", "--last", "1"], environment: server.environment)
        defer { follower.signal(SIGKILL) }
        try poll(timeout: 20, "the follower to print event 0") { Self.count(follower.log, "event 0") == 1 }
        for n in 1...3 { try server.event(tenant: "rs", message: "event \(n)") }
        try poll(timeout: 20, "events 1-3 before the restart") { Self.count(follower.log, "event 3") == 1 }

        try server.restart()
        // Written at once after the restart, most likely before the follower is back.
        for n in 4...6 { try server.event(tenant: "rs", message: "event \(n)") }
        try poll(timeout: 30, "events 4-6 after the restart\n\(follower.log)") { Self.count(follower.log, "event 6") == 1 }
        for n in 7...8 { try server.event(tenant: "rs", message: "event \(n)") }
        try poll(timeout: 20, "events 7-8, live again") { Self.count(follower.log, "event 8") == 1 }

        #expect(follower.process.isRunning, "the follower gave up: \(follower.log)")
        for n in 0...8 { #expect(Self.count(follower.log, "event \(n)") == 1, "event \(n):\n\(follower.log)") }
        #expect(follower.log.contains("reconnected to the database"), "\(follower.log)")
    }

    @Test func waitSurvivesARestart() throws {
        let server = try PrivateServer()
        try TenantStore(server.connection).create(TenantStore.NewTenant(name: "rw"))
        // No worker: the test moves the cluster on by writing its state events itself.
        let create = try ChildProcess(arguments: ["cluster", "create", "w1", "--tenant", "rw", "--wait", "--timeout", "2m"],
                                      environment: server.environment)
        defer { create.signal(SIGKILL) }
        try poll(timeout: 20, "the create to print its first event") { create.log.contains("cluster requested") }
        let id = try #require(try server.retrying { try ClusterStore($0).get(tenant: "rw", name: "w1") }).id
        try server.restart()
        try server.event(tenant: "rw", message: "starting (test)", clusterId: id, cluster: "w1", state: "starting")
        try server.event(tenant: "rw", message: "ready (test)", clusterId: id, cluster: "w1", state: "ready")
        #expect(try create.waitForExit(timeout: 30) == 0, "\(create.log)")
        #expect(Self.count(create.log, "starting (test)") == 1 && Self.count(create.log, "ready (test)") == 1, "\(create.log)")

        try server.retrying { try $0.execute(SQL("test_ready", "update berth.clusters set state = 'ready' where id = $1"), [id]) }
        let delete = try ChildProcess(arguments: ["cluster", "delete", "w1", "--tenant", "rw", "--wait", "--timeout", "2m"],
                                      environment: server.environment)
        defer { delete.signal(SIGKILL) }
        try poll(timeout: 20, "the delete to print its first event") { delete.log.contains("-> stopping") }
        try server.restart()
        try server.event(tenant: "rw", message: "stopped (test)", clusterId: id, cluster: "w1", state: "stopped")
        #expect(try delete.waitForExit(timeout: 30) == 0, "\(delete.log)")
        #expect(Self.count(delete.log, "stopped (test)") == 1, "\(delete.log)")
    }
}
