import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// Usage metering (migration 0011): periods opened and closed by the clusters' state changes,
/// and `berth.usage_daily` over periods with explicit timestamps (no clock, no sleeping).
@Suite struct UsageTests {
    static let create = SQL("test_usage_create", "select berth.create_cluster($1, $2, $3::jsonb) as id", redactsParameters: false)
    /// A period of cluster `$1` from `$2` to `$3` (null: still open), at the cluster's size.
    static let period = SQL("test_usage_period", """
        insert into berth.usage_periods (cluster_id, tenant_id, tenant, backend, spot, workers, worker_vcpus, worker_memory_gib,
                                         worker_gpus, started_at, ended_at)
        select c.id, c.tenant_id, c.tenant, c.backend,
               coalesce((c.spec ->> 'fargate_spot')::boolean, (c.spec ->> 'spot')::boolean, false), (c.spec ->> 'workers')::numeric::int,
               z.worker_vcpus, z.worker_memory_gib, z.worker_gpus, $2::timestamptz, $3::timestamptz
          from berth.clusters c cross join lateral berth.cluster_size(c.spec) z where c.id = $1
        """)

    final class World: @unchecked Sendable {
        let db: TestDatabase
        let admin: Connection

        init(tenants: [String] = ["acme"]) throws {
            db = try TestDatabase.create()
            admin = try db.connect()
            for name in tenants {
                var tenant = TenantStore.NewTenant(name: name)
                tenant.gpuAccess = true
                try TenantStore(admin).create(tenant)
            }
        }

        func cluster(_ tenant: String, _ name: String, _ spec: String = "{}") throws -> UUID {
            try admin.queryRow(UsageTests.create, [tenant, name, JSONText(spec)])!.decode("id")
        }

        func period(_ cluster: UUID, _ from: String, _ to: String?) throws {
            _ = try admin.execute(UsageTests.period, [cluster, from, to])
        }

        func usage(_ tenant: String? = nil, since: String? = nil, until: String? = nil) throws -> [UsageDay] {
            try UsageStore(admin).daily(tenant: tenant, period: try UsagePeriod(since: since, until: until))
        }
    }

    static func hours(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

    @Test func aClusterOfNinetySecondsIsExact() throws {
        let w = try World()
        // ecs: 3 workers of 2 vCPUs and 4 GiB.
        let id = try w.cluster("acme", "short", #"{"workers": 3, "worker_cpu": 2, "worker_memory": 4}"#)
        try w.period(id, "2026-03-01 10:00:00+00", "2026-03-01 10:01:30+00")
        let rows = try w.usage("acme")
        #expect(rows == [UsageDay(day: "2026-03-01", tenant: "acme", backend: "ecs", spot: false, clusters: 1,
                                  clusterHours: Self.hours("0.025"), workerVcpuHours: Self.hours("0.15"),
                                  workerMemoryGibHours: Self.hours("0.3"), gpuHours: 0)])
    }

    @Test func aPeriodOverMidnightIsSplitAcrossDays() throws {
        let w = try World()
        let id = try w.cluster("acme", "late")  // 2 workers × 1 vCPU
        try w.period(id, "2026-03-01 23:59:00+00", "2026-03-02 00:01:30+00")
        // In another time zone the session's days would differ: days are UTC.
        try w.admin.executeScript("set timezone = 'America/Los_Angeles'", operation: "test_tz")
        let rows = try w.usage("acme")
        #expect(rows.map(\.day) == ["2026-03-01", "2026-03-02"])
        #expect(rows.map(\.clusterHours) == [Self.hours("0.016667"), Self.hours("0.025")])
        #expect(rows.map { $0.workerVcpuHours } == [Self.hours("0.033333"), Self.hours("0.05")])
        // Three days: the middle one is whole.
        let long = try w.cluster("acme", "long")
        try w.period(long, "2026-04-01 12:00:00+00", "2026-04-03 06:00:00+00")
        #expect(try w.usage("acme", since: "2026-04-01").map(\.clusterHours) == [12, 24, 6])
        #expect(try w.usage("acme", since: "2026-04-02", until: "2026-04-02").map(\.day) == ["2026-04-02"])
    }

    @Test func usageIsSplitByBackendAndSpot() throws {
        let w = try World(tenants: ["acme", "globex"])
        let ecs = try w.cluster("acme", "ecs")
        let spot = try w.cluster("acme", "spot", #"{"fargate_spot": true, "workers": 4}"#)
        let vm = try w.cluster("acme", "vm", #"{"backend": "vm", "spot": true, "workers": 1, "worker_gpus": 1}"#)
        let other = try w.cluster("globex", "other")
        for id in [ecs, spot, vm, other] { try w.period(id, "2026-05-01 00:00:00+00", "2026-05-01 01:00:00+00") }
        let rows = try w.usage("acme")
        #expect(rows.map { "\($0.backend) \($0.spot) \($0.clusterHours) \($0.workerVcpuHours!) \($0.gpuHours!)" } == [
            "ecs false 1 2 0", "ecs true 1 4 0", "vm true 1 4 1",  // g4dn.xlarge: 4 vCPUs, 16 GiB, one GPU
        ])
        #expect(rows.last?.workerMemoryGibHours == 16)
        #expect(try w.usage().map(\.tenant) == ["acme", "acme", "acme", "globex"])
    }

    /// The periods come from the clusters' state changes: opened when a cluster leaves
    /// `pending`, closed at `stopped`, or when the delete that cleans up after a failed create
    /// succeeds (the cluster stays in `error` then).
    @Test func stateChangesOpenAndClosePeriods() throws {
        let w = try World()
        let id = try w.cluster("acme", "one")
        let periods = SQL("test_periods", """
            select count(*) as n, count(*) filter (where ended_at is null) as open from berth.usage_periods where cluster_id = $1
            """)
        func count(_ cluster: UUID) throws -> [Int] {
            let row = try w.admin.queryRow(periods, [cluster])!
            return [try row.decode("n"), try row.decode("open")]
        }
        #expect(try count(id) == [0, 0])
        let setState = SQL("test_set_state", "update berth.clusters set state = $2 where id = $1")
        _ = try w.admin.execute(setState, [id, "starting"])
        #expect(try count(id) == [1, 1])
        _ = try w.admin.execute(setState, [id, "ready"])
        _ = try w.admin.execute(setState, [id, "stopping"])
        #expect(try count(id) == [1, 1])
        _ = try w.admin.execute(setState, [id, "stopped"])
        #expect(try count(id) == [1, 0])

        // A failed create: error, then the cleanup's delete job succeeds.
        let failed = try w.cluster("acme", "two")
        _ = try w.admin.execute(setState, [failed, "starting"])
        let job: Int64 = try w.admin.queryRow(SQL("test_cleanup", "select berth.request_cluster_delete($1, 'cleanup', true) as job"), [failed])!
            .decode("job")
        _ = try w.admin.execute(setState, [failed, "error"])
        #expect(try count(failed) == [1, 1])
        _ = try w.admin.execute(SQL("test_job_done", "update berth.jobs set state = 'succeeded', finished_at = now() where id = $1"), [job])
        #expect(try count(failed) == [1, 0])

        // Deleted while pending: never started, no usage.
        let never = try w.cluster("acme", "three")
        _ = try w.admin.execute(setState, [never, "stopping"])
        _ = try w.admin.execute(setState, [never, "stopped"])
        #expect(try count(never) == [0, 0])
    }

    /// berth_client reads every tenant's usage; a tenant-scoped role only its tenants'.
    @Test func aScopedRoleSeesOnlyItsTenantsUsage() throws {
        let w = try World(tenants: ["acme", "globex"])
        for tenant in ["acme", "globex"] {
            try w.period(try w.cluster(tenant, "one"), "2026-06-01 00:00:00+00", "2026-06-01 00:30:00+00")
        }
        let tenants = SQL("test_usage_tenants", "select string_agg(tenant, ',' order by tenant) as t from berth.usage_daily")
        let client = try TestRole("berth_usage_client", in: w.db, setup: "grant berth_client to %r")
        #expect(try client.connect().queryRow(tenants)?.decodeIfPresent("t", as: String.self) == "acme,globex")
        let scoped = try TestRole("berth_usage_acme", in: w.db)
        _ = try w.admin.query(SQL("test_grant", "select berth.grant_tenant($1, $2)", redactsParameters: false), [scoped.name, "acme"])
        #expect(try scoped.connect().queryRow(tenants)?.decodeIfPresent("t", as: String.self) == "acme")
        let nobody = try TestRole("berth_usage_none", in: w.db)
        #expect(throws: PostgresError.self) { try nobody.connect().queryRow(tenants) }
    }

    @Test func periodsAreCheckedAsDays() throws {
        #expect(try UsagePeriod(since: "2024-02-29", until: nil).since == "2024-02-29")
        for (since, until, message) in [
            ("2026-02-30", nil, "--since: '2026-02-30' is not a calendar day"),
            ("yesterday", nil, "--since must be a date YYYY-MM-DD"),
            ("2026-1-5", nil, "--since must be a date YYYY-MM-DD"),
            (nil, "2026-13-01", "--until: '2026-13-01' is not a calendar day"),
            ("2026-03-02", "2026-03-01", "--since 2026-03-02 is after --until 2026-03-01"),
        ] as [(String?, String?, String)] {
            do {
                _ = try UsagePeriod(since: since, until: until)
                Issue.record("\(String(describing: since)) … \(String(describing: until)) was taken")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }
}
