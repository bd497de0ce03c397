import Foundation
import Postgres
import Provisioning
import Queue
import Testing
import TestSupport

/// PostgreSQL restarts under long-running processes: a `berth worker` in the middle of a drain
/// and a `berth console` streaming a cluster's events. The server is a private one (restarting
/// the suite's shared server would break the tests running beside this one).
@Suite struct FailoverTests {
    @Test func aDrainingWorkerAndAFollowingConsoleCarryOnThroughARestart() throws {
        let server = try PrivateServer()
        let admin = try Connection(url: server.url)
        let tenant = "fo" + UUID().uuidString.prefix(6).lowercased()
        _ = try TenantStore(admin).create(TenantStore.NewTenant(name: tenant))
        let cluster = try ClusterStore(admin).create(tenant: tenant, name: "c1", spec: JSONText("{}"))
        // No AWS here: the cluster's create job waits for tomorrow; the drain is noop jobs.
        try admin.execute(SQL("t_fo_later", "update berth.jobs set run_at = now() + interval '1 day' where kind <> 'noop'"))
        try ConsoleHarness.addUser("ops", tenant: nil, password: ConsoleHarness.operatorPassword, url: server.url)

        let environment = ["DATABASE_URL": server.url, "BERTH_LOG_LEVEL": "info", "XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        let console = try ChildProcess(arguments: ["console", "--listen", "127.0.0.1:0", "--connections", "4"], environment: environment)
        defer { console.signal(SIGKILL) }
        let port = try listeningPort(console, marker: "console listening")
        let client = WebClient(port: port)
        let form = try client.get("/login")
        let signedIn = try client.post("/login", form: ["csrf": WebClient.csrf(in: form.body) ?? "", "name": "ops", "password": ConsoleHarness.operatorPassword])
        #expect(signedIn.status == 303)
        let stream = try EventStreamReader(port: port, path: "/clusters/\(cluster.uuidString.lowercased())/events?after=0",
                                           cookie: "berth_session=\(client.cookies["berth_session"] ?? "")", maxSeconds: 300)
        defer { stream.stop() }
        try poll(timeout: 20, "the stream's first event") { stream.text.contains("cluster requested") }

        let ids = try JobQueue(admin).enqueue(.init(kind: NoopJob.kind, args: JSONText(#"{"sleep_ms": 20}"#)), count: 600)
        let worker = try ChildProcess(arguments: ["worker", "--concurrency", "4"], environment: environment)
        defer { worker.signal(SIGKILL) }
        let succeeded = SQL("t_fo_done", "select count(*) as n from berth.jobs where kind = 'noop' and state = 'succeeded'")
        try poll(timeout: 60, "100 jobs done before the restart") { try admin.queryRow(succeeded)?.decode("n", as: Int.self) ?? 0 >= 100 }
        try server.restart()
        let doneAtRestart = try server.retrying { try $0.queryRow(succeeded)?.decode("n", as: Int.self) ?? 0 }
        #expect(doneAtRestart < ids.count, "the drain ended before the restart: the test proves nothing")

        // The console's stream, open across the restart, carries on.
        try server.retrying { connection in
            try connection.execute(SQL("t_fo_event", """
                insert into berth.events (tenant, cluster_id, cluster_name, type, message) values ($1, $2, 'c1', 'note', 'after the restart')
                """), [tenant, cluster])
        }
        try poll(timeout: 30, "the event written after the restart, on the same stream\n\(console.log.suffix(2000))") {
            stream.text.contains("after the restart")
        }
        #expect(try client.get("/jobs").status == 200)

        // Every job ends once: succeeded at its first attempt, nothing in its error history.
        let after = try Connection(url: server.url)
        try poll(timeout: 90, "all 600 jobs to finish after the restart") { try after.queryRow(succeeded)?.decode("n", as: Int.self) == ids.count }
        let retried = SQL("t_fo_retried", "select count(*) as n from berth.jobs where kind = 'noop' and (attempt <> 1 or errors <> '[]'::jsonb)")
        #expect(try after.queryRow(retried)?.decode("n", as: Int.self) == 0)
        #expect(worker.process.isRunning && console.process.isRunning)
        // One line per reconnect, in each process.
        #expect(worker.log.contains("reconnected to the database"), "\(worker.log.suffix(3000))")
        #expect(console.log.contains("LISTEN connection back") || console.log.contains("reconnected to the database"), "\(console.log.suffix(3000))")
    }
}
