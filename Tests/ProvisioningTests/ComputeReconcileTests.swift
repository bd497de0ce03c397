import AWS
import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// The reconcile under the compute emulation (real Dask processes): Spot interruptions replaced
/// until a Dask client sees every worker again, a killed scheduler ending in `error` with
/// nothing left, and an idle scheduler stopping the cluster by itself. BERTH_SKIP_COMPUTE_TESTS=1
/// skips them, as ComputeClusterTests.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BERTH_SKIP_COMPUTE_TESTS"] != "1"))
struct ComputeReconcileTests {
    static let interval = 5.0

    static func worker(_ h: ProvisioningHarness) throws -> ChildProcess {
        try h.worker(extraEnvironment: ["BERTH_RECONCILE_INTERVAL": "\(interval)"])
    }

    @Test func twoOfFourSpotWorkersInterruptedAreReplacedAndDaskSeesFourAgain() throws {
        let h = try ProvisioningHarness()
        try ComputeClusterTests.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try Self.worker(h)
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "spot", spec: #"{"workers": 4, "fargate_spot": true}"#)
        try h.waitFor(id, .ready, timeout: 240, worker: worker)
        let victims = try h.connection.query(SQL("test_spot_victims", """
            select resource_id from berth.cluster_workers where cluster_id = $1 and state = 'running' order by resource_id limit 2
            """), [id]).map { try $0.decode("resource_id", as: String.self) }
        #expect(victims.count == 2)
        let interrupted = Date()
        for arn in victims { try ComputeFailureTests.control(h, "/__berth/compute/interrupt", ["task": arn]) }
        // Both replaced (launched and on record) within two reconcile intervals.
        try poll(timeout: 2 * Self.interval, every: 0.1, "both interrupted workers to be replaced within two reconcile intervals") {
            try h.count("select count(*) as n from berth.cluster_workers where cluster_id = $1 and replaces = any($2::text[])", [id, victims]) == 2
        }
        let replacedAfter = Date().timeIntervalSince(interrupted)
        let stopped = try h.events(id).filter { $0.type == "worker.stopped" }
        #expect(stopped.count == 2 && stopped.allSatisfy { $0.message.contains("Your Spot Task was interrupted") }, "\(stopped.map(\.message))")
        try poll(timeout: 60, every: 0.2, "worker.replaced twice") { try h.events(id).filter { $0.type == "worker.replaced" }.count == 2 }
        // A Dask client sees four workers again, none of them an interrupted one.
        let credentials = try ComputeClusterTests.credentials(h, tenant: tenant, cluster: "spot")
        let answer = try ComputeClusterTests.client(credentials, workers: 4)
        #expect(answer.first == "4950" && answer.count == 3 && answer[1] == "4", "\(answer)")
        #expect(try h.cluster(id).state == .ready)
        print("ComputeReconcileTests: 2 Spot interruptions -> both replacements launched in \(String(format: "%.1f", replacedAfter)) s (interval \(Self.interval) s)")
    }

    @Test func aKilledSchedulerPutsTheClusterInErrorAndLeavesNothing() throws {
        let h = try ProvisioningHarness()
        try ComputeClusterTests.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try Self.worker(h)
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "killed", spec: #"{"workers": 1}"#)
        try h.waitFor(id, .ready, timeout: 240, worker: worker)
        let scheduler = try #require(try h.connection.queryRow(SQL("test_scheduler_arn", """
            select outputs ->> 'scheduler_task_arn' as arn from berth.steps where scope = 'cluster:' || $1::text and step = 'scheduler_task'
            """), [id.uuidString.lowercased()])?.decodeIfPresent("arn", as: String.self))
        try ComputeFailureTests.control(h, "/__berth/compute/kill", ["task": scheduler])
        let failed = try poll(timeout: 120, every: 0.1, "the cluster to be in error", until: { $0.state == .error }) { try h.cluster(id) }
        let reason = failed.error ?? ""
        #expect(reason.hasPrefix("the scheduler stopped: ") && reason.contains("exit code 137"), "\(reason)")
        #expect(try h.events(id).contains { $0.type == "scheduler.stopped" })
        try ComputeFailureTests.cleanedUp(h, failed)
        let tasks = try ComputeFailureTests.tasks(h)
        #expect(tasks.allSatisfy { $0["lastStatus"] as? String == "STOPPED" }, "\(tasks)")
    }

    @Test func anIdleClusterStopsByItselfWithTheIdleReason() throws {
        let h = try ProvisioningHarness()
        try ComputeClusterTests.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try Self.worker(h)
        defer { worker.signal(SIGKILL) }
        // Dask's idle clock starts with the scheduler, so the timeout must outlast the create
        // (a 10 s one ended a create at load 4 on 2 cores: docs/provisioning.md §12).
        let id = try h.create(tenant, "idle", spec: #"{"workers": 1, "idle_timeout": "30s"}"#)
        try h.waitFor(id, .ready, timeout: 240, worker: worker)
        let stopped = try h.waitFor(id, .stopped, timeout: 120, worker: worker)
        #expect(stopped.stopReason == "idle for 30s")
        #expect(stopped.error == nil)
        #expect(try h.events(id).filter { $0.type == "cluster.idle" }.count == 1)
        #expect(try h.leftovers(of: stopped).isEmpty)
        let shown = try h.berth(["cluster", "show", "idle", "--tenant", tenant.name])
        #expect(shown.output.contains("stop_reason") && shown.output.contains("idle for 30s"), "\(shown.output)")
    }
}
