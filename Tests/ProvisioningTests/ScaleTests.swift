import AWS
import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// `berth cluster scale` end to end: real worker processes and the emulator (state only).
@Suite struct ScaleTests {
    @Test func anECSClusterScalesTwoToFiveToOneWithWaitStoppingTheNewestFirst() throws {
        let h = try ProvisioningHarness()
        let (tenant, worker, id) = try WorkerSetTests.readyCluster(h)
        defer { worker.signal(SIGKILL) }
        let set = WorkerSet(h.connection)
        let original = Set(try set.workers(of: id).map(\.resourceId))

        let up = try h.berth(["cluster", "scale", "c1", "--tenant", tenant.name, "--workers", "5", "--wait"])
        #expect(up.status == 0, "\(up.output)\n\(worker.log.suffix(3000))")
        #expect(up.output.contains("scaling from 2 to 5 workers") && up.output.contains("ready: 5 workers running"), "\(up.output)")
        var running = try set.workers(of: id).filter { $0.state == .running }
        #expect(running.count == 5 && original.isSubset(of: Set(running.map(\.resourceId))))
        #expect(Set(try WorkerSetTests.workerTasks(h, tenant, id)) == Set(running.map(\.resourceId)))
        #expect(try h.cluster(id).state == .ready)

        let down = try h.berth(["cluster", "scale", "c1", "--tenant", tenant.name, "--workers", "1", "--wait"])
        #expect(down.status == 0, "\(down.output)")
        let all = try set.workers(of: id)
        running = all.filter { $0.state == .running }
        #expect(running.count == 1)
        // The newest stopped first: the one left is one of the two the create made, and the
        // three the scale up made are stopped (retired: not to be replaced).
        #expect(running.allSatisfy { original.contains($0.resourceId) }, "\(all)")
        #expect(all.filter { !original.contains($0.resourceId) }.allSatisfy { $0.state == .stopped && $0.retired })
        try poll(timeout: 30, "the stopped tasks to stop in ECS") {
            Set(try WorkerSetTests.workerTasks(h, tenant, id)) == Set(running.map(\.resourceId))
        }
        let states = try h.events(id).filter { $0.type == "state" }.compactMap(\.state)
        #expect(states == ["pending", "starting", "ready", "scaling", "ready", "scaling", "ready"], "\(states)")
        // Billed at each size in turn: 2, 5, 1.
        let sizes = try h.connection.query(SQL("scale_tests_periods", "select workers from berth.usage_periods where cluster_id = $1 order by id"), [id])
            .map { try $0.decode("workers", as: Int.self) }
        #expect(sizes == [2, 5, 1], "\(sizes)")
        // The same count again changes nothing and says so.
        let same = try h.berth(["cluster", "scale", "c1", "--tenant", tenant.name, "--workers", "1", "--wait"])
        #expect(same.status == 0 && same.output.contains("has 1 workers"), "\(same.output)")

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        #expect(try h.leftovers(of: try h.waitFor(id, .stopped, worker: worker)).isEmpty)
    }

    @Test func aVMClusterScalesUpAndDown() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "v1", spec: #"{"backend": "vm", "workers": 1}"#)
        try h.waitFor(id, .ready, timeout: 90, worker: worker)
        let up = try h.berth(["cluster", "scale", "v1", "--tenant", tenant.name, "--workers", "3", "--wait"])
        #expect(up.status == 0, "\(up.output)\n\(worker.log.suffix(3000))")
        let set = WorkerSet(h.connection)
        let clusterTag = EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())
        let live = EC2Filter("instance-state-name", ["pending", "running"])
        let running = try set.workers(of: id).filter { $0.state == .running }.map(\.resourceId)
        #expect(running.count == 3)
        // 1 scheduler + 3 workers, exactly the ones on record.
        let instances = try h.aws().describeInstances(filters: [clusterTag, live]).map(\.instanceId)
        #expect(instances.count == 4 && Set(running).isSubset(of: Set(instances)), "\(instances)")

        let down = try h.berth(["cluster", "scale", "v1", "--tenant", tenant.name, "--workers", "1", "--wait"])
        #expect(down.status == 0, "\(down.output)")
        let left = try set.workers(of: id).filter { $0.state == .running }.map(\.resourceId)
        #expect(left.count == 1)
        try poll(timeout: 30, "the stopped instances to terminate") {
            try h.aws().describeInstances(filters: [clusterTag, EC2Filter("instance-state-name", ["pending", "running", "stopping", "stopped"])]).count == 2
        }
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "v1")
        #expect(try h.leftovers(of: try h.waitFor(id, .stopped, timeout: 90, worker: worker)).isEmpty)
    }

    /// Requests racing each other while the job runs (slow AWS): the newest count wins, one job
    /// at a time, and AWS holds exactly the workers on record.
    @Test func racingScalesEndAtTheNewestCountWithoutDuplicateWorkers() throws {
        let h = try ProvisioningHarness()
        let (tenant, worker, id) = try WorkerSetTests.readyCluster(h)
        defer { worker.signal(SIGKILL) }
        try h.injectFaults(rates: ["slow": 1.0])
        let store = ClusterStore(h.connection)
        _ = try store.scale(tenant: tenant.name, name: "c1", workers: 7)
        try poll(timeout: 30, "the converge to start launching") {
            try h.count("select count(*) as n from berth.steps where scope = $1 and step = 'workers.launch'", ["cluster:" + id.uuidString.lowercased()]) == 1
        }
        // Two sessions at once, then a last one: 3 wins.
        let other = try h.db.connect()
        let done = DispatchSemaphore(value: 0)
        Thread { _ = try? ClusterStore(other).scale(tenant: tenant.name, name: "c1", workers: 9); done.signal() }.start()
        _ = try store.scale(tenant: tenant.name, name: "c1", workers: 4)
        #expect(done.wait(timeout: .now() + 20) == .success)
        _ = try store.scale(tenant: tenant.name, name: "c1", workers: 3)
        try h.injectFaults(plan: [])
        try poll(timeout: 90, "the cluster to be ready at 3 workers", until: { $0 }) {
            let cluster = try h.cluster(id)
            let running = try WorkerSet(h.connection).workers(of: id).filter { $0.state == .running }.count
            let active = try h.count("select count(*) as n from berth.jobs where kind = 'cluster.workers' and state in ('queued', 'running')")
            return cluster.state == .ready && running == 3 && active == 0
        }
        #expect(try h.count("select count(*) as n from berth.jobs where kind = 'cluster.workers' and state = 'failed'") == 0)
        let running = try WorkerSet(h.connection).workers(of: id).filter { $0.state == .running }.map(\.resourceId)
        try poll(timeout: 30, "ECS to run exactly the workers on record") {
            Set(try WorkerSetTests.workerTasks(h, tenant, id)) == Set(running)
        }
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        #expect(try h.leftovers(of: try h.waitFor(id, .stopped, worker: worker)).isEmpty)
    }

    @Test func theCLIRefusesClearly() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        _ = try h.create(tenant, "c1")
        let bad = try h.berth(["cluster", "scale", "c1", "--tenant", tenant.name, "--workers", "101"])
        #expect(bad.status == 2 && bad.output.contains("workers must be between 0 and 100, got 101"), "\(bad.output)")
        let huge = try h.berth(["cluster", "scale", "c1", "--tenant", tenant.name, "--workers", "99999999999"])
        #expect(huge.status == 2 && huge.output.contains("workers must be between 0 and 100, got 99999999999"), "\(huge.output)")
        let pending = try h.berth(["cluster", "scale", "c1", "--tenant", tenant.name, "--workers", "3"])
        #expect(pending.status == 1 && pending.output.contains("is pending: only a ready, scaling or degraded cluster can be scaled"), "\(pending.output)")
        let missing = try h.berth(["cluster", "scale", "nope", "--tenant", tenant.name, "--workers", "3"])
        #expect(missing.status == 2 && missing.output.contains("has no cluster named 'nope'"), "\(missing.output)")
    }
}
