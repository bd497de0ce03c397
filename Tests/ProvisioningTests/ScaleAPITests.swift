import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// `berth.scale_cluster` (migration 0013) in the database alone: its refusals and what they
/// write (nothing), its quota checks under concurrency, and the usage periods a resize makes,
/// at explicit timestamps. Clusters are put in a state by hand (no worker runs here).
@Suite struct ScaleAPITests {
    static let scale = SQL("test_scale", "select berth.scale_cluster($1, $2, $3::int4) as id", redactsParameters: false)
    static let rows = SQL("test_scale_rows", """
        select (select count(*) from berth.jobs) + (select count(*) from berth.events)
             + (select count(*) from berth.clusters c where c.state = 'scaling') as n,
               (select string_agg(c.spec ->> 'workers', ',' order by c.name) from berth.clusters c) as workers
        """)
    static let setState = SQL("test_scale_set_state", "update berth.clusters set state = $2 where id = $1")

    final class World: @unchecked Sendable {
        let db: TestDatabase
        let admin: Connection

        init(_ quotas: TenantQuotas = .unlimited) throws {
            db = try TestDatabase.create()
            admin = try db.connect()
            var tenant = TenantStore.NewTenant(name: "acme")
            tenant.quotas = quotas
            try TenantStore(admin).create(tenant)
        }

        /// A cluster in `state`, as if its create had run.
        func cluster(_ name: String, _ spec: String = #"{"workers": 2}"#, state: ClusterState = .ready) throws -> UUID {
            let id = try ClusterStore(admin).create(tenant: "acme", name: name, spec: JSONText(spec))
            try admin.execute(ScaleAPITests.setState, [id, state.rawValue])
            return id
        }

        @discardableResult
        func scale(_ name: String, _ workers: Int32, tenant: String = "acme", on connection: Connection? = nil) throws -> UUID {
            try (connection ?? admin).queryRow(ScaleAPITests.scale, [tenant, name, workers])!.decode("id")
        }

        /// The scale's refusal (it must be one), which wrote nothing.
        func refusal(_ name: String, _ workers: Int32?, tenant: String = "acme") throws -> PostgresError {
            let before = try admin.queryRow(ScaleAPITests.rows)!
            do {
                _ = try admin.queryRow(ScaleAPITests.scale, [tenant, name, workers])
            } catch let error as PostgresError {
                let after = try admin.queryRow(ScaleAPITests.rows)!
                #expect(try after.decode("n", as: Int.self) == before.decode("n", as: Int.self), "a refused scale wrote rows")
                #expect(try after.decodeIfPresent("workers", as: String.self) == before.decodeIfPresent("workers", as: String.self))
                return error
            }
            throw SetupError("scale \(tenant)/\(name) to \(String(describing: workers)) was not refused")
        }

        func jobs(kind: String = ClusterWorkersJob.kind) throws -> Int {
            try admin.queryRow(SQL("test_scale_jobs", "select count(*) as n from berth.jobs where kind = $1"), [kind])!.decode("n")
        }
    }

    @Test func aScaleSetsScalingUpdatesTheSpecWritesAnEventAndEnqueuesOneJob() throws {
        let w = try World()
        let id = try w.cluster("etl")
        #expect(try w.scale("etl", 5) == id)
        let cluster = try #require(try ClusterStore(w.admin).get(id: id))
        #expect(cluster.state == .scaling && cluster.spec.workers == 5)
        let event = try #require(try EventLog(w.admin).last(1, filter: .init(clusterId: id)).last)
        #expect(event.type == "state" && event.state == "scaling" && event.message == "scaling from 2 to 5 workers")
        #expect(try w.jobs() == 1)
        // A scale during the scale: the newest count, still one job.
        try w.scale("etl", 3)
        #expect(try ClusterStore(w.admin).get(id: id)?.spec.workers == 3)
        #expect(try w.jobs() == 1)
        // The same count again: nothing new (no event, no job).
        let events = try EventLog(w.admin).last(100, filter: .init(clusterId: id)).count
        try w.scale("etl", 3)
        #expect(try EventLog(w.admin).last(100, filter: .init(clusterId: id)).count == events)
        #expect(try w.jobs() == 1)
        // On a ready cluster, the same count is no job at all.
        try w.cluster("idle")
        try w.scale("idle", 2)
        #expect(try w.jobs() == 1)
        #expect(try ClusterStore(w.admin).get(tenant: "acme", name: "idle")?.state == .ready)
    }

    @Test func badInputAndOtherStatesAreRefusedNamingWhatIsWrongAndWriteNothing() throws {
        let w = try World()
        try w.cluster("etl")
        let over = try w.refusal("etl", 101)
        #expect(over.sqlState == "22023" && over.message == "workers must be between 0 and 100, got 101", "\(over)")
        #expect(try w.refusal("etl", -1).message == "workers must be between 0 and 100, got -1")
        #expect(try w.refusal("etl", nil).message == "workers must be given: a whole number between 0 and 100")
        let missing = try w.refusal("nope", 3)
        #expect(missing.sqlState == "22023" && missing.message.contains("has no cluster named 'nope'"), "\(missing)")
        #expect(try w.refusal("etl", 3, tenant: "nobody").message == "unknown tenant 'nobody'")
        for (name, state, hint) in [("starting", ClusterState.starting, "wait until it is ready"), ("stopping", .stopping, "being deleted"),
                                    ("broken", .error, "delete it and create it again")] {
            try w.cluster(name, state: state)
            let refused = try w.refusal(name, 3)
            #expect(refused.sqlState == "55000", "\(refused)")
            #expect(refused.message.hasPrefix("cluster '\(name)' of tenant 'acme' is \(state.rawValue): only a ready, scaling or degraded cluster can be scaled"),
                    "\(refused.message)")
            #expect(refused.message.contains(hint), "\(refused.message)")
        }
    }

    @Test func aScaleDuringADeleteIsRefused() throws {
        let w = try World()
        try w.cluster("etl")
        _ = try ClusterStore(w.admin).delete(tenant: "acme", name: "etl")
        let refused = try w.refusal("etl", 4)
        #expect(refused.sqlState == "55000" && refused.message.contains("is stopping") && refused.message.contains("(it is being deleted)"),
                "\(refused.message)")
    }

    @Test func growingIsCheckedAgainstTheQuotasShrinkingNever() throws {
        let w = try World(TenantQuotas(maxClusters: 2, maxWorkers: 6, maxVcpus: 9))
        try w.cluster("one")  // 2 workers of 1 vCPU + a scheduler of 1: 3 vCPUs
        try w.cluster("two")
        // The tenant is at its cluster limit: a cluster that grows is no new cluster.
        try w.scale("one", 3)
        let workers = try w.refusal("two", 5)
        #expect(workers.sqlState == "53400")
        #expect(workers.message == "tenant 'acme' would exceed its quota: max_workers is 6 and its live clusters have 5 workers; "
            + "scaling cluster 'two' from 2 to 5 workers asks for 3 more; delete a cluster, or ask the operator for more (berth tenant update acme --max-workers N)",
            "\(workers.message)")
        // vCPUs: 5 workers and 2 schedulers use 7 of 9; one more worker is 8, fine; five more are not.
        _ = try TenantStore(w.admin).updateQuotas(of: "acme", TenantQuotas.Change(maxWorkers: .unlimited))
        let vcpus = try w.refusal("two", 7)
        #expect(vcpus.message.contains("max_vcpus is 9 and its live clusters use 7 vCPUs") && vcpus.message.contains("needs 5 (5 more workers × 1)"),
                "\(vcpus.message)")
        try w.scale("two", 3)
        // Shrinking passes even over a lowered limit.
        _ = try TenantStore(w.admin).updateQuotas(of: "acme", TenantQuotas.Change(maxWorkers: .atMost(1)))
        try w.scale("two", 2)
        #expect(try ClusterStore(w.admin).get(tenant: "acme", name: "two")?.spec.workers == 2)
    }

    /// Two sessions grow two clusters at once for the last workers of the quota: one gets them.
    @Test func twoScalesCannotBothTakeTheLastWorkers() throws {
        let w = try World(TenantQuotas(maxWorkers: 6))
        try w.cluster("one")
        try w.cluster("two")
        let connections = try (0..<2).map { _ in try w.db.connect() }
        let start = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        let results = Locked<[String]>([])
        for (index, connection) in connections.enumerated() {
            finished.enter()
            Thread {
                start.wait()
                let result: String
                do { try w.scale(index == 0 ? "one" : "two", 4, on: connection); result = "ok" } catch let error as PostgresError {
                    result = error.sqlState ?? "?"
                } catch { result = "\(error)" }
                results.mutate { $0.append(result) }
                finished.leave()
            }.start()
        }
        start.signal()
        start.signal()
        #expect(finished.wait(timeout: .now() + 30) == .success)
        #expect(results.value.sorted() == ["53400", "ok"], "\(results.value)")
        let workers = try ClusterStore(w.admin).list(tenant: "acme").map(\.spec.workers).reduce(0, +)
        #expect(workers == 6)
    }

    /// A resize closes the open usage period and opens one at the new count, at the time given.
    @Test func aResizeBillsTheNewCountFromItsMoment() throws {
        let w = try World()
        let id = try w.cluster("etl", #"{"workers": 2}"#, state: .pending)
        try w.admin.execute(Self.setState, [id, "starting"])  // opens the period (migration 0011's trigger)
        try w.admin.execute(SQL("test_scale_period_start", "update berth.usage_periods set started_at = '2026-03-01 00:00:00+00' where cluster_id = $1"), [id])
        let resize = SQL("test_scale_resize", "select berth.resize_usage_period($1, $2::int4, $3::timestamptz)")
        try w.admin.execute(resize, [id, Int32(5), "2026-03-01 06:00:00+00"])
        try w.admin.execute(resize, [id, Int32(5), "2026-03-01 07:00:00+00"])  // the same count: nothing
        try w.admin.execute(resize, [id, Int32(1), "2026-03-01 08:00:00+00"])
        try w.admin.execute(SQL("test_scale_close", "select berth.close_usage_period($1, '2026-03-01 12:00:00+00')"), [id])
        let periods = try w.admin.query(SQL("test_scale_periods", """
            select workers, started_at::text as s, ended_at::text as e from berth.usage_periods where cluster_id = $1 order by started_at
            """), [id]).map { "\(try $0.decode("workers", as: Int.self)) \(try $0.decode("s", as: String.self)) \(try $0.decode("e", as: String.self))" }
        #expect(periods == ["2 2026-03-01 00:00:00+00 2026-03-01 06:00:00+00", "5 2026-03-01 06:00:00+00 2026-03-01 08:00:00+00",
                            "1 2026-03-01 08:00:00+00 2026-03-01 12:00:00+00"], "\(periods)")
        // 1 vCPU workers: 6 h × 2 + 2 h × 5 + 4 h × 1 = 26 vCPU-hours in 12 cluster-hours.
        let day = try #require(try UsageStore(w.admin).daily(tenant: "acme", period: try UsagePeriod(since: nil, until: nil)).first)
        #expect(day.clusterHours == 12 && day.workerVcpuHours == 26, "\(day)")
    }
}
