import AWS
import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// The worker set (`berth.cluster_workers`) and the `cluster.workers` job that converges it,
/// against real worker processes and the emulator (state only: no Dask processes).
@Suite struct WorkerSetTests {
    @Test func theCreateRecordsItsWorkersAndAStoppedOneIsReplacedQuotingWhy() throws {
        let h = try ProvisioningHarness()
        let (tenant, worker, id) = try Self.readyCluster(h)
        defer { worker.signal(SIGKILL) }
        let set = WorkerSet(h.connection)
        let created = try set.workers(of: id)
        #expect(created.count == 2 && created.allSatisfy { $0.state == .running }, "\(created)")
        #expect(Set(created.map(\.resourceId)) == Set(try Self.workerTasks(h, tenant, id)))

        // AWS stops one (as a Spot interruption would); the reconcile marks it and asks for a converge.
        let victim = created[0].resourceId
        _ = try h.aws().stopTask(cluster: "berth-\(tenant.name)", task: victim, reason: "Your Spot Task was interrupted.")
        let job = try #require(try set.workerStopped(clusterId: id, resourceId: victim, reason: "Your Spot Task was interrupted."))
        try Self.waitForJob(h, job, worker: worker)

        let now = try set.workers(of: id)
        let running = now.filter { $0.state == .running }
        #expect(running.count == 2)
        let replacement = try #require(running.first { $0.replaces == victim }, "\(now)")
        #expect(now.first { $0.resourceId == victim }?.state == .stopped)
        let replaced = try h.events(id).filter { $0.type == "worker.replaced" }
        #expect(replaced.count == 1)
        #expect(replaced.first?.message.contains("Your Spot Task was interrupted.") == true, "\(replaced)")
        #expect(replaced.first?.data["replaces"] == victim && replaced.first?.data["worker"] == replacement.resourceId)
        // AWS has exactly the two running workers on record.
        #expect(Set(try Self.workerTasks(h, tenant, id)) == Set(running.map(\.resourceId)))
        #expect(try h.cluster(id).state == .ready)

        // The delete finds every worker, the replacement too, and leaves nothing.
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        let stopped = try h.waitFor(id, .stopped, worker: worker)
        #expect(try h.leftovers(of: stopped).isEmpty)
        #expect(try set.workers(of: id).allSatisfy { $0.state == .stopped })
    }

    /// Replacing keeps failing (ECS refuses every RunTask): the third failure within ten minutes
    /// makes the cluster `degraded` with the reason, the job keeps trying, and once launches work
    /// again the replacement runs and the cluster is `ready`.
    @Test func replacementsThatKeepFailingDegradeTheClusterUntilOneWorks() throws {
        let h = try ProvisioningHarness()
        let (tenant, worker, id) = try Self.readyCluster(h)
        defer { worker.signal(SIGKILL) }
        let set = WorkerSet(h.connection)
        let victim = try set.workers(of: id)[0].resourceId
        try h.injectFaults(rates: ["auth": 1.0], actions: ["RunTask"])
        _ = try h.aws().stopTask(cluster: "berth-\(tenant.name)", task: victim, reason: "Essential container in task exited")
        let job = try #require(try set.workerStopped(clusterId: id, resourceId: victim, reason: "Essential container in task exited"))
        // (Not `waitFor`: it takes `ready` for a final state.)
        let degraded = try poll(timeout: 60, every: 0.05, "the cluster to be degraded\n\(worker.log.suffix(2000))",
                                until: { $0.state == .degraded }) { try h.cluster(id) }
        #expect(degraded.error?.hasPrefix("degraded: replacing workers keeps failing (3 failures in 10 minutes; Berth keeps trying)") == true,
                "\(degraded.error ?? "")")
        #expect(degraded.error?.contains("RunTask") == true || degraded.error?.contains("AWS refused") == true, "\(degraded.error ?? "")")
        #expect(degraded.schedulerAddress != nil, "a degraded cluster keeps its scheduler")
        #expect(try h.events(id).filter { $0.type == "worker.failed" }.count >= 3)
        // Still trying: the same job, not failed.
        #expect(try h.count("select count(*) as n from berth.jobs where id = $1 and state in ('queued', 'running')", [job]) == 1)

        try h.injectFaults(plan: [])
        try Self.waitForJob(h, job, timeout: 90, worker: worker)
        let ready = try h.cluster(id)
        #expect(ready.state == .ready && ready.error == nil)
        let running = try set.workers(of: id).filter { $0.state == .running }
        #expect(running.count == 2 && running.contains { $0.replaces == victim })
        let states = try h.events(id).filter { $0.type == "state" }.compactMap(\.state)
        #expect(states.suffix(2) == ["degraded", "ready"], "\(states)")
    }

    // MARK: - Helpers

    /// A tenant, a worker process and its ECS cluster `c1` of `spec`, ready (the caller kills the worker).
    static func readyCluster(_ h: ProvisioningHarness, spec: String = #"{"workers": 2}"#) throws -> (tenant: Tenant, worker: ChildProcess, id: UUID) {
        let tenant = try h.tenant()
        let worker = try h.worker()
        do {
            let id = try h.create(tenant, "c1", spec: spec)
            try h.waitFor(id, .ready, worker: worker)
            return (tenant, worker, id)
        } catch {
            worker.signal(SIGKILL)
            throw error
        }
    }

    /// The cluster's worker tasks that have not stopped, as ECS lists them.
    static func workerTasks(_ h: ProvisioningHarness, _ tenant: Tenant, _ id: UUID) throws -> [String] {
        let aws = h.aws()
        let cluster = "berth-\(tenant.name)"
        let arns = try aws.listTasks(cluster: cluster, startedBy: id.uuidString.lowercased())
        guard !arns.isEmpty else { return [] }
        return try aws.describeTasks(cluster: cluster, tasks: arns).tasks
            .filter { $0.lastStatus != "STOPPED" && $0.taskDefinitionArn?.contains("-worker") == true }.map(\.taskArn)
    }

    /// Polls until job `id` succeeded; fails early when it ends otherwise.
    static func waitForJob(_ h: ProvisioningHarness, _ id: Int64, timeout: Double = 60, worker: ChildProcess) throws {
        let sql = SQL("worker_set_tests_job_state", "select state, coalesce(last_error, '') as error from berth.jobs where id = $1")
        do {
            try poll(timeout: timeout, every: 0.05, "job \(id) to succeed") {
                let row = try #require(try h.connection.queryRow(sql, [id]))
                let state: String = try row.decode("state")
                if ["failed", "cancelled"].contains(state) { throw SetupError("job \(id) is \(state): \(try row.decode("error") as String)") }
                return state == "succeeded"
            }
        } catch {
            throw SetupError("\(error)\n\(worker.log.suffix(3000))")
        }
    }
}
