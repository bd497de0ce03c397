import Foundation
import Postgres
import Provisioning
import Queue
import Testing
import TestSupport

/// `--json` goes through the types' Encodable conformances: the keys are the columns' names
/// (an event's cluster is `cluster_name`, as in `berth.events`), ids are lowercase, absent
/// values are null, and JSON documents (a spec, an event's data) stay JSON.
@Suite struct JSONOutputTests {
    static func objects(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").map { line in try #require(try JSONText(String(line)).object() as? [String: Any]) }
    }

    @Test func eventsClustersAndTenantsUseTheColumnsNames() throws {
        let db = try TestDatabase.create()
        let env = ["DATABASE_URL": db.url, "XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        let created = try runBerth(["tenant", "create", "js", "--region", "eu-west-2", "--json"], environment: env)
        #expect(created.status == 0, "\(created.output)")
        let tenant = try #require(try JSONText(created.output).object() as? [String: Any])
        #expect(Set(tenant.keys) == ["id", "name", "aws_mode", "access_key_id", "aws_account_id", "default_backend", "default_region",
                                     "default_fargate_spot", "gpu_access", "worker_role_arn", "has_credentials", "created_at",
                                     "state", "delete_job", "deleted_at"])
        #expect(tenant["default_backend"] as? String == "ecs" && tenant["access_key_id"] is NSNull && tenant["has_credentials"] as? Bool == false)
        #expect(tenant["state"] as? String == "active" && tenant["delete_job"] is NSNull)
        #expect((tenant["id"] as? String).map { $0 == $0.lowercased() } == true)

        let request = try runBerth(["cluster", "create", "c1", "--tenant", "js", "--spec", #"{"workers": 3}"#, "--json"], environment: env)
        let id = try #require(try JSONText(request.output).object() as? [String: String])["id"]

        let events = try Self.objects(try runBerth(["events", "--tenant", "js", "--json"], environment: env).output)
        let first = try #require(events.first)
        #expect(Set(first.keys) == ["id", "at", "tenant", "cluster_id", "cluster_name", "job_id", "type", "step", "state", "message", "data"])
        #expect(first["cluster_name"] as? String == "c1" && first["cluster_id"] as? String == id && first["step"] is NSNull)
        let spec = try #require((first["data"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(spec["workers"] as? Int == 3 && spec["region"] as? String == "eu-west-2")

        let shown = try #require(try JSONText(try runBerth(["cluster", "show", "c1", "--tenant", "js", "--json"], environment: env).output)
            .object() as? [String: Any])
        #expect(shown["id"] as? String == id && shown["state"] as? String == "pending" && shown["desired"] as? String == "running")
        #expect(shown["error"] is NSNull && shown["scheduler_address"] is NSNull && (shown["spec"] as? [String: Any])?["backend"] as? String == "ecs")
        #expect((shown["created_at"] as? String)?.hasSuffix("Z") == true)
        #expect(shown["dask_image"] as? String == DaskImage.default && shown["dashboard_url"] is NSNull)
        let listed = try #require(try JSONText(try runBerth(["cluster", "list", "--json"], environment: env).output).object() as? [[String: Any]])
        #expect(listed.count == 1 && Set(listed[0].keys) == Set(shown.keys))
        let tenants = try #require(try JSONText(try runBerth(["tenant", "list", "--json"], environment: env).output).object() as? [[String: Any]])
        #expect(tenants.count == 1 && Set(tenants[0].keys) == Set(tenant.keys))
    }

    /// `berth jobs list|show --json`: the columns' names (the keys `berth jobs` printed before
    /// it went through `Job`'s Encodable), documents as JSON, times in UTC, no lease token.
    @Test func jobsUseTheColumnsNames() throws {
        let db = try TestDatabase.create()
        let env = ["DATABASE_URL": db.url, "XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        let enqueued = try runBerth(["jobs", "enqueue", "noop", "--tenant", "acme", "--args", #"{"sleep_ms": 5}"#], environment: env)
        #expect(enqueued.status == 0, "\(enqueued.output)")
        let id = try #require(try JobQueue(try Connection(url: db.url)).list().first?.id)
        let shown = try #require(try JSONText(try runBerth(["jobs", "show", String(id), "--json"], environment: env).output)
            .object() as? [String: Any])
        #expect(Set(shown.keys) == ["id", "kind", "tenant", "args", "state", "priority", "run_at", "attempt", "max_attempts", "snoozes",
                                    "locked_by", "locked_until", "cancel_requested", "errors", "last_error", "output", "unique_key",
                                    "created_at", "updated_at", "attempted_at", "finished_at"])
        #expect(shown["id"] as? Int64 == id && shown["kind"] as? String == "noop" && shown["state"] as? String == "queued")
        #expect((shown["args"] as? [String: Any])?["sleep_ms"] as? Int == 5 && (shown["errors"] as? [Any])?.isEmpty == true)
        #expect(shown["output"] is NSNull && shown["locked_by"] is NSNull && shown["cancel_requested"] as? Bool == false)
        #expect((shown["run_at"] as? String)?.hasSuffix("Z") == true && (shown["created_at"] as? String)?.hasSuffix("Z") == true)
        let listed = try #require(try JSONText(try runBerth(["jobs", "list", "--json"], environment: env).output).object() as? [[String: Any]])
        #expect(listed.count == 1 && Set(listed[0].keys) == Set(shown.keys))
        // The text view reads the same keys.
        let text = try runBerth(["jobs", "show", String(id)], environment: env).output
        #expect(text.contains("kind              noop") && text.contains(#"args              {"sleep_ms":5}"#), "\(text)")
    }
}
