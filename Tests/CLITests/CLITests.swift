import Foundation
import Postgres
import Queue
import Testing
import TestSupport

@Suite struct CLITests {
    @Test func badInputExitsTwoWithAMessage() throws {
        let h = try QueueHarness()
        let env = ["DATABASE_URL": h.db.url]
        let cases: [([String], String)] = [
            (["jobs", "enqueue", "noop", "--args", "[1]"], "--args must be a JSON object"),
            (["jobs", "enqueue", "noop", "--priority", "12"], "priority must be between 0"),
            (["jobs", "enqueue", "noop", "--count", "0"], "count must be at least 1"),
            (["jobs", "list", "--state", "sleeping"], "--state must be one of"),
            (["worker", "--concurrency", "0"], "concurrency must be between 1 and 1024"),
            (["worker", "--lease", "1s", "--heartbeat", "2s"], "must be shorter than the lease"),
            (["worker", "--lease", "soon"], "lease"),
            (["jobs", "cancel", "abc"], "abc"),
            (["no-such-command"], "no-such-command"),
        ]
        for (arguments, message) in cases {
            let result = try runBerth(arguments, environment: env)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(result.output.contains(message), "\(arguments): \(result.output)")
        }
        #expect(try h.count("select count(*) as n from berth.jobs") == 0)
        let missing = try runBerth(["status"], environment: ["DATABASE_URL": ""])
        #expect(missing.status == 2 && missing.output.contains("DATABASE_URL is not set"))
        let help = try runBerth(["--help"])
        #expect(help.status == 0 && help.output.contains("worker"))
    }

    @Test func jobsCommandsRoundTrip() throws {
        let h = try QueueHarness()
        let env = ["DATABASE_URL": h.db.url]
        let enqueued = try runBerth(["jobs", "enqueue", "noop", "--tenant", "acme", "--count", "3", "--json"], environment: env)
        #expect(enqueued.status == 0, "\(enqueued.output)")
        let ids = (try JSONText(enqueued.output).object() as? [String: Any])?["ids"] as? [Int] ?? []
        #expect(ids.count == 3)
        let cancelled = try runBerth(["jobs", "cancel", String(ids[0])], environment: env)
        #expect(cancelled.status == 0 && cancelled.output.contains("cancelled"))
        let again = try runBerth(["jobs", "cancel", String(ids[0])], environment: env)
        #expect(again.status == 2 && again.output.contains("only queued or running jobs can be cancelled"))
        let retried = try runBerth(["jobs", "retry", String(ids[0])], environment: env)
        #expect(retried.status == 0)
        let notFound = try runBerth(["jobs", "show", "987654"], environment: env)
        #expect(notFound.status == 2 && notFound.output.contains("no job with id 987654"))
        let shown = try runBerth(["jobs", "show", String(ids[1]), "--json"], environment: env)
        #expect((try JSONText(shown.output).object() as? [String: Any])?["tenant"] as? String == "acme")
        let listed = try runBerth(["jobs", "list", "--tenant", "acme"], environment: env)
        #expect(listed.status == 0 && listed.output.split(separator: "\n").count == 4)
        let status = try runBerth(["status", "--json"], environment: env)
        let counts = (try JSONText(status.output).object() as? [String: Any])?["counts"] as? [String: Int]
        #expect(counts?["queued"] == 3)
        let text = try runBerth(["status"], environment: env)
        #expect(text.output.contains("oldest ready job waiting"))
    }

    @Test func migrateDryRunReportsPendingWork() throws {
        let name = "berth_cli_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try Connection(url: try Project.databaseURL())
        try admin.executeScript("create database \(name)", operation: "create")
        defer { try? admin.executeScript("drop database if exists \(name) with (force)", operation: "drop") }
        let env = ["DATABASE_URL": try Project.databaseURL(database: name), "BERTH_MIGRATIONS_DIR": Project.root.appendingPathComponent("migrations").path]
        let pending = try runBerth(["migrate", "--dry-run"], environment: env)
        #expect(pending.status == 1 && pending.output.contains("pending 0001_queue"))
        let applied = try runBerth(["migrate"], environment: env)
        #expect(applied.status == 0 && applied.output.contains("applied 0001_queue"))
        let clean = try runBerth(["migrate", "--dry-run"], environment: env)
        #expect(clean.status == 0 && clean.output.contains("up to date"))
    }
}

@Suite struct StatusTests {
    /// `berth status` counts finished jobs in one pass over the table and reads queued and
    /// running jobs from their partial indexes, whatever the table holds.
    @Test func statusScansTheTableOnceAndReadsTheRestFromPartialIndexes() throws {
        let h = try QueueHarness()
        try h.connection.executeScript("""
            insert into berth.jobs (kind, state, finished_at) select 'noop', 'succeeded', now() from generate_series(1, 20000);
            insert into berth.jobs (kind, state, finished_at) select 'noop', 'failed', now() from generate_series(1, 30);
            insert into berth.jobs (kind, state, finished_at) select 'noop', 'cancelled', now() from generate_series(1, 20);
            insert into berth.jobs (kind, tenant) select 'noop', 'acme' from generate_series(1, 12);
            insert into berth.jobs (kind, run_at) select 'noop', now() + interval '1 hour' from generate_series(1, 3);
            insert into berth.jobs (kind, tenant, state, attempt, lease_token, locked_by, locked_until)
                select 'noop', 'acme', 'running', 1, gen_random_uuid(), 'w', now() + interval '1 minute' from generate_series(1, 4);
            insert into berth.jobs (kind, tenant, state, attempt, lease_token, locked_by, locked_until)
                values ('noop', 'zeta', 'running', 1, gen_random_uuid(), 'w', now() + interval '1 minute');
            analyze berth.jobs;
            """, operation: "test_seed")
        let scans = SQL("test_scans", """
            select seq_scan, coalesce(idx_scan, 0) as idx_scan from pg_stat_xact_user_tables where relid = 'berth.jobs'::regclass
            """)
        let (status, seq, idx) = try h.connection.transaction { tx in
            let before = try tx.queryRow(scans)
            let status = try JobQueue(tx).status()
            let after = try tx.queryRow(scans)
            return (status, try after!.decode("seq_scan", as: Int.self) - before!.decode("seq_scan", as: Int.self),
                    try after!.decode("idx_scan", as: Int.self) - before!.decode("idx_scan", as: Int.self))
        }
        #expect(seq <= 1, "status scanned berth.jobs \(seq) times")
        #expect(idx >= 2, "status used the partial indexes \(idx) times")
        #expect(status.counts == ["succeeded": 20000, "failed": 30, "cancelled": 20, "queued": 15, "running": 5])
        #expect(status.ready == 12 && status.scheduled == 3)
        #expect(status.runningPerTenant == ["acme": 4, "zeta": 1])
    }

    /// With the server frozen (SIGSTOP: the kernel accepts the connection, nothing answers),
    /// `berth status` fails at the connect timeout (10 s by default) instead of hanging.
    @Test func statusAgainstAFrozenServerFailsAtTheConnectTimeout() throws {
        let server = try PrivateServer()
        server.freeze()
        defer { server.thaw() }
        let started = Date()
        let status = try ChildProcess(arguments: ["status"], environment: ["DATABASE_URL": server.url])
        let code = try status.waitForExit(timeout: 25)
        let waited = Date().timeIntervalSince(started)
        #expect(code == 1, "\(status.log)")
        #expect(waited >= 9 && waited < 16, "status ended after \(waited)s")
        #expect(status.log.contains("timeout expired"), "\(status.log)")
    }
}

@Suite struct LogFormatTests {
    /// libpq's errors span lines (`...failed: Connection refused\n\tIs the server running...`):
    /// in text logs every event stays on one line, its control characters escaped.
    @Test func textLogsKeepOneLinePerEvent() throws {
        let worker = try ChildProcess(arguments: ["worker", "--concurrency", "1"],
                                      environment: ["DATABASE_URL": "postgresql://berth@127.0.0.1:1/berth", "BERTH_LOG_LEVEL": "info",
                                                    "BERTH_LOG_FORMAT": "text"])
        try poll(timeout: 10, "two connection failures logged") { worker.log.components(separatedBy: "Connection refused").count > 2 }
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        let lines = worker.log.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count >= 3)
        let stamp = try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (TRACE|DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL) "#)
        let broken = lines.filter { $0.firstMatch(of: stamp) == nil }
        #expect(broken.isEmpty, "\(broken.count) lines are not events of their own, e.g. \(broken.first ?? "")")
        #expect(worker.log.contains(#"Connection refused\n\tIs the server running"#), "\(worker.log)")
    }
}
