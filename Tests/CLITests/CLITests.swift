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
