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
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 2}"#)
        try h.waitFor(id, .ready, worker: worker)
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

    // MARK: - Helpers

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
