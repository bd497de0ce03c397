import Foundation
import Postgres
import Testing
import TestSupport

/// `berth tenant update` (quotas), the config's quota-defaults and retention, and `berth usage`.
@Suite struct TenantQuotaUsageCLITests {
    /// A config folder for XDG_CONFIG_HOME holding `text` as berth/config.yaml.
    static func configHome(_ text: String) throws -> String {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("berth-cfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home + "/berth", withIntermediateDirectories: true)
        try text.write(toFile: home + "/berth/config.yaml", atomically: true, encoding: .utf8)
        return home
    }

    @Test func quotasComeFromTheConfigAndChangeWithTenantUpdate() throws {
        let h = try QueueHarness()
        let home = try Self.configHome("quota-defaults:\n  max-clusters: 1\n  max-vcpus: 16\n  max-workers: none\n")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let env = ["DATABASE_URL": h.db.url, "XDG_CONFIG_HOME": home]
        let created = try runBerth(["tenant", "create", "acme"], environment: env)
        #expect(created.status == 0 && created.output.contains("quotas (from the config's quota-defaults): max_clusters 1, max_vcpus 16"),
                "\(created.output)")
        let shown = try runBerth(["tenant", "update", "acme", "--json"], environment: env)
        let object = try JSONText(shown.output).object() as? [String: Any]
        let quotas = object?["quotas"] as? [String: Any]
        #expect(quotas?["max_clusters"] as? Int == 1 && quotas?["max_vcpus"] as? Int == 16 && quotas?["max_workers"] is NSNull, "\(shown.output)")

        #expect(try runBerth(["cluster", "create", "one", "--tenant", "acme"], environment: env).status == 0)
        let refused = try runBerth(["cluster", "create", "two", "--tenant", "acme"], environment: env)
        #expect(refused.status == 1 && refused.output.contains("max_clusters is 1 and 1 cluster is live"), "\(refused.output)")

        let updated = try runBerth(["tenant", "update", "acme", "--max-clusters", "none", "--max-workers", "10"], environment: env)
        #expect(updated.status == 0, "\(updated.output)")
        let lines = updated.output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == ["updated the quotas of tenant acme", "QUOTA LIMIT IN USE", "max_clusters none 1", "max_workers 10 2",
                          "max_vcpus 16 3", "max_gpu_workers none 0"], "\(updated.output)")
        #expect(try runBerth(["cluster", "create", "two", "--tenant", "acme"], environment: env).status == 0)

        for (arguments, message) in [
            (["tenant", "update", "acme", "--max-clusters", "lots"], "--max-clusters must be a whole number from 0 to 2147483647, or none (unlimited); got 'lots'"),
            (["tenant", "update", "acme", "--max-vcpus", "1.5"], "--max-vcpus must be a whole number"),
            (["tenant", "update", "nobody", "--max-vcpus", "4"], "unknown tenant 'nobody'"),
        ] {
            let result = try runBerth(arguments, environment: env)
            #expect(result.status == 2 && result.output.contains(message), "\(arguments): \(result.output)")
        }
    }

    @Test func badConfigSectionsAreRefusedWithTheirLine() throws {
        let h = try QueueHarness()
        for (text, arguments, message) in [
            ("quota-defaults:\n  max-clusters: many\n", ["tenant", "create", "acme"], "line 2: max-clusters must be a whole number"),
            ("quota-defaults:\n  max-cluster: 3\n", ["tenant", "create", "acme"], "unknown quota default 'max-cluster'"),
            ("retention:\n  jobs: weekly\n", ["worker"], "line 2: jobs must be a duration such as 7d"),
        ] {
            let home = try Self.configHome(text)
            defer { try? FileManager.default.removeItem(atPath: home) }
            let result = try runBerth(arguments, environment: ["DATABASE_URL": h.db.url, "XDG_CONFIG_HOME": home])
            #expect(result.status == 2 && result.output.contains(message), "\(text): \(result.output)")
        }
        let flag = try runBerth(["worker", "--retain-events", "soon"], environment: ["DATABASE_URL": h.db.url])
        #expect(flag.status == 2 && flag.output.contains("retain-events"), "\(flag.output)")
    }

    @Test func usageReportsInTextJSONAndCSV() throws {
        let h = try QueueHarness()
        let env = ["DATABASE_URL": h.db.url, "XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        #expect(try runBerth(["tenant", "create", "acme"], environment: env).status == 0)
        try h.connection.executeScript("""
            select berth.create_cluster('acme', 'one', '{"workers": 3, "worker_cpu": 2, "worker_memory": 4}');
            insert into berth.usage_periods (cluster_id, tenant_id, tenant, backend, spot, workers, worker_vcpus, worker_memory_gib,
                                             worker_gpus, started_at, ended_at)
            select id, tenant_id, tenant, backend, false, 3, 2, 4, 0, '2026-03-01 23:59:00+00', '2026-03-02 00:00:30+00'
              from berth.clusters;
            """, operation: "test_usage_rows")
        let csv = try runBerth(["usage", "--tenant", "acme", "--csv"], environment: env)
        #expect(csv.status == 0)
        #expect(csv.output == """
            day,tenant,backend,spot,clusters,cluster_hours,worker_vcpu_hours,worker_memory_gib_hours,gpu_hours
            2026-03-01,acme,ecs,false,1,0.016667,0.1,0.2,0
            2026-03-02,acme,ecs,false,1,0.008333,0.05,0.1,0

            """, "\(csv.output)")
        let json = try runBerth(["usage", "--since", "2026-03-02", "--json"], environment: env)
        let rows = try JSONText(json.output).object() as? [[String: Any]]
        #expect(rows?.count == 1 && rows?.first?["day"] as? String == "2026-03-02", "\(json.output)")
        #expect((rows?.first?["worker_vcpu_hours"] as? NSNumber)?.doubleValue == 0.05, "\(json.output)")
        let text = try runBerth(["usage", "--until", "2026-03-01"], environment: env)
        #expect(text.status == 0 && text.output.split(separator: "\n").count == 2, "\(text.output)")

        for (arguments, message) in [
            (["usage", "--since", "2026-02-30"], "--since: '2026-02-30' is not a calendar day"),
            (["usage", "--until", "March"], "--until must be a date YYYY-MM-DD"),
            (["usage", "--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
            (["usage", "--tenant", "nobody"], "unknown tenant 'nobody'"),
            (["usage", "--json", "--csv"], "at most one of --json and --csv"),
        ] {
            let result = try runBerth(arguments, environment: env)
            #expect(result.status == 2 && result.output.contains(message), "\(arguments): \(result.output)")
        }
    }
}
