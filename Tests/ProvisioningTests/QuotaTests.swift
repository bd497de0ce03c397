import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// Quotas per tenant (migration 0011): berth.create_cluster refuses a cluster that would take
/// its tenant over a limit with SQLSTATE 53400, the limit and the current use, writes nothing
/// then, and two sessions racing for the last slot cannot both get it.
@Suite struct QuotaTests {
    static let create = SQL("test_quota_create", "select berth.create_cluster($1, $2, $3::jsonb) as id", redactsParameters: false)
    static let delete = SQL("test_quota_delete", "select berth.delete_cluster($1, $2) as id", redactsParameters: false)
    static let rows = SQL("test_quota_rows", """
        select (select count(*) from berth.clusters) + (select count(*) from berth.jobs) + (select count(*) from berth.events) as n
        """)

    final class World: @unchecked Sendable {
        let db: TestDatabase
        let admin: Connection

        init() throws {
            db = try TestDatabase.create()
            admin = try db.connect()
        }

        @discardableResult
        func tenant(_ name: String, _ quotas: TenantQuotas, gpuAccess: Bool = false) throws -> Tenant {
            var tenant = TenantStore.NewTenant(name: name)
            tenant.quotas = quotas
            tenant.gpuAccess = gpuAccess
            return try TenantStore(admin).create(tenant)
        }

        @discardableResult
        func create(_ tenant: String, _ name: String, _ spec: String = "{}", on connection: Connection? = nil) throws -> UUID {
            try (connection ?? admin).queryRow(QuotaTests.create, [tenant, name, JSONText(spec)])!.decode("id")
        }

        /// The create's refusal (it must be one).
        func refusal(_ tenant: String, _ name: String, _ spec: String = "{}") throws -> PostgresError {
            let before: Int = try admin.queryRow(QuotaTests.rows)!.decode("n")
            do {
                try create(tenant, name, spec)
            } catch let error as PostgresError {
                #expect(try admin.queryRow(QuotaTests.rows)!.decode("n", as: Int.self) == before, "a refused create wrote rows")
                return error
            }
            throw SetupError("create \(tenant)/\(name) \(spec) was not refused")
        }
    }

    @Test func eachLimitIsRefusedWithTheLimitAndTheUseAndNothingWritten() throws {
        let w = try World()
        try w.tenant("acme", TenantQuotas(maxClusters: 2))
        try w.create("acme", "one")
        try w.create("acme", "two")
        let clusters = try w.refusal("acme", "three")
        #expect(clusters.sqlState == "53400")
        #expect(clusters.message == "tenant 'acme' is at its quota: max_clusters is 2 and 2 clusters are live; this cluster would be one more; "
            + "delete a cluster, or ask the operator for more (berth tenant update acme --max-clusters N)")

        // Default ecs cluster: 2 workers of 1 vCPU and a scheduler of 1 vCPU: 3 vCPUs.
        try w.tenant("globex", TenantQuotas(maxWorkers: 5, maxVcpus: 8))
        try w.create("globex", "base")
        let workers = try w.refusal("globex", "big", #"{"workers": 4}"#)
        #expect(workers.sqlState == "53400")
        #expect(workers.message.contains("max_workers is 5 and its live clusters have 2 workers; this cluster asks for 4"), "\(workers.message)")
        let vcpus = try w.refusal("globex", "wide", #"{"workers": 2, "worker_cpu": 2, "worker_memory": 4, "scheduler_cpu": 2}"#)
        #expect(vcpus.sqlState == "53400")
        #expect(vcpus.message.contains("max_vcpus is 8 and its live clusters use 3 vCPUs (workers and schedulers); "
            + "this cluster needs 6 (2 workers × 2 + a scheduler of 2)"), "\(vcpus.message)")
        #expect(vcpus.message.hasSuffix("(berth tenant update globex --max-vcpus N)"))
        try w.create("globex", "fits", #"{"workers": 3, "worker_cpu": 0.5}"#)  // 3 × 0.5 + 1 = 2.5: 5.5 of 8

        // GPU workers: vm, g4dn.xlarge by default (4 vCPUs, one GPU).
        try w.tenant("initech", TenantQuotas(maxGpuWorkers: 2), gpuAccess: true)
        try w.create("initech", "gpu", #"{"backend": "vm", "workers": 2, "worker_gpus": 1}"#)
        try w.create("initech", "cpu", #"{"backend": "vm", "workers": 3}"#)
        let gpus = try w.refusal("initech", "more", #"{"backend": "vm", "workers": 1, "worker_gpus": 1}"#)
        #expect(gpus.sqlState == "53400")
        #expect(gpus.message.contains("max_gpu_workers is 2 and its live clusters have 2 GPU workers; this cluster asks for 1"), "\(gpus.message)")
    }

    @Test func aDeleteFreesItsSlotAndNoneClearsALimit() throws {
        let w = try World()
        try w.tenant("acme", TenantQuotas(maxClusters: 1))
        try w.create("acme", "one")
        #expect(try w.refusal("acme", "two").sqlState == "53400")
        _ = try w.admin.queryRow(Self.delete, ["acme", "one"])
        try w.create("acme", "two")  // `one` is stopping: its delete was asked for
        let (quotas, use) = try TenantStore(w.admin).quotas(of: "acme")
        #expect(quotas == TenantQuotas(maxClusters: 1) && use.clusters == 1)

        let cleared = try TenantStore(w.admin).updateQuotas(of: "acme", .init(maxClusters: .unlimited, maxWorkers: .atMost(10)))
        #expect(cleared.quotas == TenantQuotas(maxWorkers: 10))
        try w.create("acme", "three")
        let zero = try TenantStore(w.admin).updateQuotas(of: "acme", .init(maxWorkers: .atMost(0)))
        #expect(zero.quotas == TenantQuotas(maxWorkers: 0) && zero.use.workers == 4)
        try w.create("acme", "four", #"{"workers": 0}"#)  // over the lowered limit already, but it adds no worker
        #expect(try w.refusal("acme", "five", #"{"workers": 1}"#).message.contains("max_workers is 0 and its live clusters have 4 workers"))
        #expect(throws: ProvisioningError.self) { try TenantStore(w.admin).quotas(of: "nobody") }
    }

    /// The last slot, raced by two sessions: the first holds its create's transaction open
    /// until the second is seen waiting on the tenant's row, then commits; the second is then
    /// refused, counting the first's cluster.
    @Test func twoSessionsCannotBothTakeTheLastSlot() throws {
        let w = try World()
        try w.tenant("acme", TenantQuotas(maxClusters: 1))
        let first = try w.db.connect()
        let second = try w.db.connect()
        let secondPid: Int = try second.queryRow(SQL("test_pid", "select pg_backend_pid() as pid"))!.decode("pid")
        try first.executeScript("begin", operation: "test_begin")
        try w.create("acme", "one", on: first)
        let outcome = Locked<Result<UUID, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let result = Result { try w.create("acme", "two", on: second) }
            outcome.mutate { $0 = result }
            done.signal()
        }.start()
        try poll(timeout: 20, "the second create to wait for the first's lock", until: { $0 }) {
            try w.admin.queryRow(SQL("test_waiting", "select coalesce(wait_event_type = 'Lock', false) as waiting from pg_stat_activity where pid = $1"),
                                 [secondPid])?.decode("waiting", as: Bool.self) ?? false
        }
        try first.executeScript("commit", operation: "test_commit")
        #expect(done.wait(timeout: .now() + 20) == .success)
        switch outcome.value {
        case .some(.failure(let error as PostgresError)):
            #expect(error.sqlState == "53400" && error.message.contains("max_clusters is 1 and 1 cluster is live"), "\(error)")
        default:
            Issue.record("the second create was not refused: \(String(describing: outcome.value))")
        }
        #expect(try w.admin.queryRow(SQL("test_live", "select count(*) as n from berth.clusters where tenant = 'acme'"))!.decode("n", as: Int.self) == 1)
    }

    /// Many sessions at once, released together by a barrier: exactly the limit get through.
    @Test func aCrowdGetsExactlyTheLimit() throws {
        let w = try World()
        try w.tenant("acme", TenantQuotas(maxClusters: 3))
        let sessions = 8
        let connections = try (0..<sessions).map { _ in try w.db.connect() }
        let barrier = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        let results = Locked<[String]>([])
        let finished = DispatchGroup()
        for (index, connection) in connections.enumerated() {
            barrier.enter()
            finished.enter()
            Thread {
                barrier.leave()
                start.wait()
                let result: String
                do { try w.create("acme", "c\(index)", on: connection); result = "ok" } catch let error as PostgresError {
                    result = error.sqlState ?? "?"
                } catch { result = "\(error)" }
                results.mutate { $0.append(result) }
                finished.leave()
            }.start()
        }
        barrier.wait()
        for _ in 0..<sessions { start.signal() }
        #expect(finished.wait(timeout: .now() + 60) == .success)
        #expect(results.value.sorted() == Array(repeating: "53400", count: 5) + Array(repeating: "ok", count: 3), "\(results.value)")
    }

    @Test func sizesComeFromTheSpecOrTheInstanceType() throws {
        let w = try World()
        let tenant = try w.tenant("acme", .unlimited, gpuAccess: true)
        func size(_ spec: String) throws -> [String] {
            let row = try w.admin.queryRow(SQL("test_size", """
                select z.worker_vcpus::text as w, z.scheduler_vcpus::text as s, z.worker_gpus as g, z.worker_memory_gib::text as m
                  from berth.tenants t cross join lateral berth.cluster_size(berth.resolve_spec(t, $2::jsonb)) z where t.id = $1
                """, redactsParameters: false), [tenant.id, JSONText(spec)])!
            return [try row.decodeIfPresent("w") ?? "null", try row.decodeIfPresent("s") ?? "null", "\(try row.decode("g", as: Int.self))",
                    try row.decodeIfPresent("m") ?? "null"]
        }
        #expect(try size(#"{"worker_cpu": 0.25}"#) == ["0.25", "1", "0", "1"])
        #expect(try size(#"{"backend": "vm"}"#) == ["2", "2", "0", "8"])                 // m6i.large both
        #expect(try size(#"{"backend": "vm", "worker_cpu": 3}"#) == ["4", "2", "0", "16"])  // the next that fits: m6i.xlarge
        #expect(try size(#"{"backend": "vm", "worker_gpus": 1}"#) == ["4", "2", "1", "16"]) // g4dn.xlarge
        #expect(try size(#"{"backend": "vm", "worker_instance_type": "c7i.4xlarge"}"#) == ["16", "2", "0", "8"])  // by its name
        #expect(try size(#"{"backend": "vm", "worker_instance_type": "t3.micro"}"#) == ["null", "2", "0", "8"])

        try TenantStore(w.admin).updateQuotas(of: "acme", .init(maxVcpus: .atMost(100)))
        // Whole numbers written with a fraction count as the whole numbers they are.
        try w.create("acme", "floaty", #"{"workers": 3.0, "worker_gpus": 0.0}"#)
        #expect(try TenantStore(w.admin).quotas(of: "acme").use.workers == 3)
        let unknown = try w.refusal("acme", "micro", #"{"backend": "vm", "worker_instance_type": "t3.micro"}"#)
        #expect(unknown.sqlState == "22023" && unknown.message.contains("does not know how many vCPUs instance type 't3.micro' has"), "\(unknown.message)")
    }

    /// The VM plan picks from VMInstances.generalPurpose; the database counts from
    /// berth.instance_sizes: the same list.
    @Test func theGeneralPurposeTypesAgreeWithTheVMPlan() throws {
        let w = try World()
        let rows = try w.admin.query(SQL("test_general", """
            select instance_type, vcpus::float8 as vcpus, memory_gib::float8 as memory from berth.instance_sizes
             where general_purpose order by vcpus
            """))
        let table = try rows.map { "\(try $0.decode("instance_type", as: String.self)) \(try $0.decode("vcpus", as: Double.self)) \(try $0.decode("memory", as: Double.self))" }
        #expect(table == VMInstances.generalPurpose.map { "\($0.type) \($0.cpu) \($0.memory)" })
        let gpu = try w.admin.queryRow(SQL("test_gpu_default", "select gpus from berth.instance_sizes where instance_type = $1"), [VMInstances.defaultGPUType])
        #expect(try gpu?.decode("gpus", as: Int.self) == 1)
    }
}
