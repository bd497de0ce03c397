import Foundation
import Postgres
import Provisioning
import Queue
import Testing
import TestSupport

/// Retention (the workers' maintenance): finished jobs and events go after their time, in
/// batches; what must stay stays: jobs not finished or not old enough, a cluster's create and
/// delete jobs, each cluster's newest events.
@Suite struct RetentionTests {
    static let create = SQL("test_ret_create", "select berth.create_cluster($1, $2, $3::jsonb) as id", redactsParameters: false)
    /// A job in state `$2` of kind `$1`, created `$3` days ago and finished `$4` days ago (null: not finished).
    static let oldJob = SQL("test_ret_job", """
        insert into berth.jobs (kind, tenant, state, created_at, finished_at, args, lease_token)
        values ($1, 'acme', $2, now() - $3::float8 * interval '1 day', now() - $4::float8 * interval '1 day', coalesce($5::jsonb, '{}'),
                case when $2 = 'running' then gen_random_uuid() end)
        returning id
        """)
    static let oldEvent = SQL("test_ret_event", """
        insert into berth.events (at, tenant, cluster_id, type, message) values (now() - $2::float8 * interval '1 day', 'acme', $1, 'info', 'x')
        returning id
        """)
    static let jobIds = SQL("test_ret_job_ids", "select coalesce(array_agg(id order by id), '{}') as ids from berth.jobs")
    static let eventIds = SQL("test_ret_event_ids", "select coalesce(array_agg(id order by id), '{}') as ids from berth.events")

    final class World: @unchecked Sendable {
        let harness: QueueHarness
        var db: TestDatabase { harness.db }
        var admin: Connection { harness.connection }

        init() throws {
            harness = try QueueHarness()
            try TenantStore(harness.connection).create(TenantStore.NewTenant(name: "acme"))
        }

        func job(_ state: String, kind: String = "noop", created: Double, finished: Double?, args: String? = nil) throws -> Int64 {
            try admin.queryRow(RetentionTests.oldJob, [kind, state, created, finished, args.map(JSONText.init)])!.decode("id")
        }

        func event(cluster: UUID?, age: Double) throws -> Int64 {
            try admin.queryRow(RetentionTests.oldEvent, [cluster, age])!.decode("id")
        }

        func ids(_ sql: SQL) throws -> Set<Int64> {
            Set(try admin.queryRow(sql)!.decode("ids", as: [Int64].self))
        }

        /// Walks until the walk starts over; returns the batches' deletions.
        func walkOnce(_ walk: RetentionWalk) throws -> [Int] {
            var deleted: [Int] = []
            for _ in 0..<1000 {
                let batch = try walk.pruneBatch(on: admin)
                #expect(!batch.busy)
                deleted.append(batch.deleted)
                if batch.wrapped { return deleted }
            }
            throw SetupError("the walk never wrapped")
        }
    }

    @Test func finishedJobsGoAfterTheirTimeAndTheRestStays() throws {
        let w = try World()
        // Oldest first, as ids and creation go together.
        let cluster: UUID = try w.admin.queryRow(Self.create, ["acme", "kept", JSONText("{}")])!.decode("id")
        let createJob: Int64 = try w.admin.queryRow(SQL("test_ret_cj", "select create_job from berth.clusters where id = $1"), [cluster])!
            .decode("create_job")
        _ = try w.admin.execute(SQL("test_ret_age", """
            update berth.jobs set state = 'succeeded', created_at = now() - interval '60 days', finished_at = now() - interval '59 days'
             where id = $1
            """), [createJob])
        let gone = [
            try w.job("succeeded", created: 50, finished: 40),
            try w.job("cancelled", created: 40, finished: 8),
            try w.job("failed", created: 40, finished: 31),
            // A delete job no cluster names any more (superseded): an ordinary job.
            try w.job("succeeded", kind: "cluster.delete", created: 35, finished: 30, args: #"{"cluster_id": "\#(UUID())"}"#),
            try w.job("succeeded", created: 9, finished: 7.5),
        ]
        let failedRecently = try w.job("failed", created: 40, finished: 29)
        let kept = [
            createJob, failedRecently,
            try w.job("queued", created: 30, finished: nil),
            try w.job("running", created: 20, finished: nil),
            try w.job("succeeded", created: 8, finished: 6),
            try w.job("succeeded", created: 0, finished: 0),
        ]
        let walk = JobRetention(jobs: 7 * 86_400, failedJobs: 30 * 86_400).walk(batchSize: 3)!
        let deleted = try w.walkOnce(walk)
        #expect(deleted.reduce(0, +) == gone.count, "\(deleted)")
        #expect(try w.ids(Self.jobIds) == Set(kept))
        #expect(try w.walkOnce(walk).reduce(0, +) == 0)  // the next walk finds nothing more

        #expect(JobRetention.keepForever.walk() == nil)
        let failedOnly = try w.job("failed", created: 0, finished: 0)
        _ = try w.admin.execute(SQL("test_ret_fail_old", "update berth.jobs set finished_at = now() - interval '400 days' where id = $1"), [failedOnly])
        _ = try w.walkOnce(JobRetention(jobs: 0, failedJobs: 86_400).walk()!)  // succeeded jobs stay forever, failed ones a day
        #expect(try w.ids(Self.jobIds) == Set(kept).subtracting([failedRecently]))
    }

    @Test func eventsGoAfterTheirTimeButEachClustersNewestStay() throws {
        let w = try World()
        let cluster: UUID = try w.admin.queryRow(Self.create, ["acme", "c", JSONText("{}")])!.decode("id")
        _ = try w.admin.execute(SQL("test_ret_ev_age", "update berth.events set at = now() - interval '200 days'"))
        var clusterEvents = Array(try w.ids(Self.eventIds))  // "cluster requested"
        for age in stride(from: 150.0, through: 100, by: -2) { clusterEvents.append(try w.event(cluster: cluster, age: age)) }  // 26 in all
        let oldTenantEvent = try w.event(cluster: nil, age: 95)
        let recent = [try w.event(cluster: nil, age: 10), try w.event(cluster: cluster, age: 1)]
        let walk = EventRetention(seconds: 90 * 86_400, keptPerCluster: 20).walk(batchSize: 4)!
        _ = try w.walkOnce(walk)
        let left = try w.ids(Self.eventIds)
        // The cluster's 20 newest: the recent one and the 19 newest old ones.
        #expect(left == Set(clusterEvents.sorted().suffix(19) + recent), "\(left.sorted())")
        #expect(!left.contains(oldTenantEvent))
        #expect(EventRetention(seconds: 0).walk() == nil)
    }

    /// One process prunes a table at a time: while another holds the table's lock, a batch does nothing.
    @Test func oneProcessPrunesATableAtATime() throws {
        let w = try World()
        let old = try w.job("succeeded", created: 30, finished: 30)
        let other = try w.db.connect()
        try other.executeScript("begin; select pg_advisory_xact_lock(1650815606, 1)", operation: "test_hold")
        let walk = JobRetention().walk()!
        #expect(try walk.pruneBatch(on: w.admin) == RetentionWalk.Batch(busy: true, scanned: 0, deleted: 0, wrapped: false))
        try other.executeScript("rollback", operation: "test_release")
        #expect(try walk.pruneBatch(on: w.admin).deleted == 1)
        #expect(!(try w.ids(Self.jobIds)).contains(old))
    }

    /// A running worker pool prunes on its own, in its maintenance rounds.
    @Test func theWorkersMaintenancePrunes() throws {
        let w = try World()
        let old = try w.job("succeeded", created: 30, finished: 30)
        let young = try w.job("succeeded", created: 1, finished: 1)
        let oldEvent = try w.event(cluster: nil, age: 100)
        var config = QueueHarness.fastConfig()
        config.retention = JobRetention(jobs: 7 * 86_400, failedJobs: 30 * 86_400)
        let running = try w.harness.startPool(config) { $0.retentionWalks = [EventRetention().walk()!] }
        defer { try? running.stop() }
        try poll(timeout: 20, "the old job and event to be pruned", until: { $0 }) {
            try !w.ids(Self.jobIds).contains(old) && !w.ids(Self.eventIds).contains(oldEvent)
        }
        #expect(try w.ids(Self.jobIds).contains(young))
    }
}
