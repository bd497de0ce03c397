import Foundation
import Postgres
@testable import Queue
import Testing
import TestSupport

@Suite struct ClaimTests {
    @Test func concurrentClaimersRunEveryJobExactlyOnce() throws {
        let h = try QueueHarness()
        let total = 3000
        try h.queue.enqueue(.init(kind: "noop", tenant: "t"), count: total / 2)
        try h.queue.enqueue(.init(kind: "noop", tenant: "u"), count: total / 2)
        let seen = Locked<[Int64]>([])
        let failures = Locked<[String]>([])
        let group = DispatchGroup()
        for worker in 0..<8 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let queue = JobQueue(try h.db.connect())
                    while true {
                        let jobs = try queue.claim(worker: "w\(worker)", limit: 1 + worker % 5, leaseSeconds: 60)
                        if jobs.isEmpty { break }
                        for job in jobs {
                            seen.mutate { $0.append(job.id) }
                            guard try queue.finish(job: job, token: job.leaseToken!, succeeded: true) else {
                                failures.mutate { $0.append("finish of \(job.id) was fenced out") }
                                return
                            }
                        }
                    }
                } catch {
                    failures.mutate { $0.append("\(error)") }
                }
            }.start()
        }
        group.wait()
        #expect(failures.value.isEmpty, "\(failures.value)")
        #expect(seen.value.count == total)
        #expect(Set(seen.value).count == total)
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'succeeded' and attempt = 1") == total)
    }

    @Test func aSmallTenantIsNotStuckBehindABigOne() throws {
        let h = try QueueHarness()
        try h.queue.enqueue(.init(kind: "noop", tenant: "big"), count: 10_000)
        let small = try #require(try h.queue.enqueue(.init(kind: "noop", tenant: "small")).first)
        let batch = try h.queue.claim(worker: "w", limit: 8, leaseSeconds: 30)
        #expect(batch.count == 8)
        #expect(batch.contains { $0.id == small })
        #expect(batch.filter { $0.tenant == "big" }.count == 7)
    }

    @Test func theSoleTenantClaimGivesWayToANewTenantAndToCaps() throws {
        let h = try QueueHarness()
        try h.queue.enqueue(.init(kind: "noop", tenant: "big"), count: 100)
        var hint = JobQueue.ClaimHint()
        #expect(try h.queue.claim(worker: "w", limit: 8, leaseSeconds: 30, hint: &hint).count == 8)
        #expect(hint.soleTenant == "big")
        #expect(try h.queue.claim(worker: "w", limit: 8, leaseSeconds: 30, hint: &hint).allSatisfy { $0.tenant == "big" })
        #expect(hint.soleTenant == "big")
        // A second tenant appears: the very next claim gives it its turn.
        let small = try #require(try h.queue.enqueue(.init(kind: "noop", tenant: "small")).first)
        let batch = try h.queue.claim(worker: "w", limit: 8, leaseSeconds: 30, hint: &hint)
        #expect(batch.count == 8 && batch.contains { $0.id == small })
        // Alone again, then a cap: the next claim respects it.
        #expect(try h.queue.claim(worker: "w", limit: 8, leaseSeconds: 30, hint: &hint).count == 8)
        hint.cooldown = 0
        #expect(hint.soleTenant == "big")
        let running = try h.count("select count(*) as n from berth.jobs where state = 'running' and tenant = 'big'")
        try h.queue.setTenantLimit("big", maxRunning: running + 2)
        #expect(try h.queue.claim(worker: "w", limit: 8, leaseSeconds: 30, hint: &hint).count == 2)
    }

    @Test func tenantsTakeTurnsWithinABatch() throws {
        let h = try QueueHarness()
        for tenant in ["a", "b", "c"] { try h.queue.enqueue(.init(kind: "noop", tenant: tenant), count: 20) }
        let batch = try h.queue.claim(worker: "w", limit: 9, leaseSeconds: 30)
        let perTenant = Dictionary(grouping: batch, by: \.tenant).mapValues(\.count)
        #expect(perTenant == ["a": 3, "b": 3, "c": 3])
        // A tenant with less than its share leaves the rest to the others in the same call.
        let h2 = try QueueHarness()
        try h2.queue.enqueue(.init(kind: "noop", tenant: "a"), count: 20)
        try h2.queue.enqueue(.init(kind: "noop", tenant: "b"), count: 1)
        #expect(try h2.queue.claim(worker: "w", limit: 10, leaseSeconds: 30).count == 10)
    }

    @Test func claimsRespectPriorityAndRunAt() throws {
        let h = try QueueHarness()
        let later = try #require(try h.queue.enqueue(.init(kind: "noop", runAt: Date().addingTimeInterval(3600))).first)
        let low = try #require(try h.queue.enqueue(.init(kind: "noop", priority: 5)).first)
        let high = try #require(try h.queue.enqueue(.init(kind: "noop", priority: 0)).first)
        let batch = try h.queue.claim(worker: "w", limit: 10, leaseSeconds: 30)
        #expect(batch.map(\.id) == [high, low])
        #expect(try h.job(later).state == .queued)
    }

    @Test func neverClaimsMoreThanAsked() throws {
        let h = try QueueHarness()
        try h.queue.enqueue(.init(kind: "noop"), count: 50)
        #expect(try h.queue.claim(worker: "w", limit: 0, leaseSeconds: 30).isEmpty)
        #expect(try h.queue.claim(worker: "w", limit: 7, leaseSeconds: 30).count == 7)
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'running'") == 7)
    }

    @Test func tenantCapHoldsAcrossConcurrentClaimers() throws {
        let h = try QueueHarness()
        try h.queue.setTenantLimit("capped", maxRunning: 3)
        try h.queue.enqueue(.init(kind: "noop", tenant: "capped"), count: 100)
        try h.queue.enqueue(.init(kind: "noop", tenant: "free"), count: 100)
        let group = DispatchGroup()
        let claimed = Locked<[Job]>([])
        for worker in 0..<6 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let queue = try? JobQueue(h.db.connect()) else { return }
                for _ in 0..<5 {
                    if let jobs = try? queue.claim(worker: "w\(worker)", limit: 4, leaseSeconds: 30) { claimed.mutate { $0 += jobs } }
                }
            }.start()
        }
        group.wait()
        #expect(claimed.value.filter { $0.tenant == "capped" }.count == 3)
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'running' and tenant = 'capped'") == 3)
        // The default cap ('*') applies to tenants without their own.
        try h.queue.setTenantLimit("*", maxRunning: 0)
        #expect(try h.queue.claim(worker: "w", limit: 10, leaseSeconds: 30).isEmpty)
        try h.queue.setTenantLimit("*", maxRunning: nil)
        #expect(try h.queue.claim(worker: "w", limit: 10, leaseSeconds: 30).allSatisfy { $0.tenant == "free" })
    }

    @Test func sharesAreExactAndTenantsWithOnlyLaterJobsDoNotShrinkABatch() throws {
        let h = try QueueHarness()
        // 8 slots over 3 tenants: 3, 3 and 2, in turn order; x has only 2 ready, so its third
        // slot goes to the first tenant in turn that has more.
        try h.queue.enqueue(.init(kind: "noop", tenant: "big"), count: 100)
        for tenant in ["x", "y"] { try h.queue.enqueue(.init(kind: "noop", tenant: tenant), count: 2) }
        let batch = try h.queue.claim(worker: "w", limit: 8, leaseSeconds: 30)
        #expect(Dictionary(grouping: batch, by: \.tenant).mapValues(\.count) == ["big": 4, "x": 2, "y": 2])
        // Seven tenants whose only jobs are scheduled later have no ready job to count: the same
        // claim gives their shares to the tenant with ready work.
        let h2 = try QueueHarness()
        try h2.queue.enqueue(.init(kind: "noop", tenant: "ready"), count: 20)
        for index in 0..<7 {
            try h2.queue.enqueue(.init(kind: "noop", tenant: "later\(index)", runAt: Date().addingTimeInterval(3600)))
        }
        let laterBatch = try h2.queue.claim(worker: "w", limit: 8, leaseSeconds: 30)
        #expect(laterBatch.count == 8 && laterBatch.allSatisfy { $0.tenant == "ready" })
    }

    @Test func capsAddedAndRemovedBetweenClaimsTakeEffectAtOnce() throws {
        let h = try QueueHarness()
        try h.queue.enqueue(.init(kind: "noop", tenant: "t"), count: 30)
        try h.queue.enqueue(.init(kind: "noop", tenant: "u"), count: 30)
        // No caps: the single-statement path.
        #expect(try h.queue.claim(worker: "w", limit: 6, leaseSeconds: 30).count == 6)
        // A cap counts the jobs the uncapped path already claimed: t has 3 running, cap 4.
        try h.queue.setTenantLimit("t", maxRunning: 4)
        var batch = try h.queue.claim(worker: "w", limit: 10, leaseSeconds: 30)
        #expect(batch.filter { $0.tenant == "t" }.count == 1)
        #expect(batch.filter { $0.tenant == "u" }.count == 9)
        #expect(try h.queue.claim(worker: "w", limit: 10, leaseSeconds: 30).allSatisfy { $0.tenant == "u" })
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'running' and tenant = 't'") == 4)
        // Removing the last cap goes back to the uncapped path, which takes from t again.
        try h.queue.setTenantLimit("t", maxRunning: nil)
        batch = try h.queue.claim(worker: "w", limit: 4, leaseSeconds: 30)
        #expect(batch.filter { $0.tenant == "t" }.count == 2)
        // A default cap alone also switches to the capped path.
        try h.queue.setTenantLimit("*", maxRunning: 6)
        #expect(try h.queue.claim(worker: "w", limit: 10, leaseSeconds: 30).isEmpty)
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'running' and tenant = 't'") == 6)
    }

    @Test func uncappedClaimersRunEveryJobExactlyOnceAcrossTenants() throws {
        let h = try QueueHarness()
        for tenant in ["a", "b", "c", "d"] { try h.queue.enqueue(.init(kind: "noop", tenant: tenant), count: 400) }
        let seen = Locked<[Int64]>([])
        let failures = Locked<[String]>([])
        let group = DispatchGroup()
        for worker in 0..<6 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let queue = JobQueue(try h.db.connect())
                    while true {
                        let jobs = try queue.claim(worker: "w\(worker)", limit: 3 + worker * 5, leaseSeconds: 60)
                        if jobs.isEmpty { break }
                        seen.mutate { $0 += jobs.map(\.id) }
                    }
                } catch {
                    failures.mutate { $0.append("\(error)") }
                }
            }.start()
        }
        group.wait()
        #expect(failures.value.isEmpty, "\(failures.value)")
        #expect(seen.value.count == 1600 && Set(seen.value).count == 1600)
    }

    @Test func aClaimPlannedOnATinyTableStaysOnIndexesAfterItGrows() throws {
        let h = try QueueHarness()
        // The first claim plans the statements (and the session keeps the plans) on an empty table.
        #expect(try h.queue.claim(worker: "w", limit: 8, leaseSeconds: 30).isEmpty)
        try h.connection.executeScript("""
            insert into berth.jobs (kind, state, finished_at) select 'noop', 'succeeded', now() from generate_series(1, 50000);
            """, operation: "seed")
        try h.queue.enqueue(.init(kind: "noop"), count: 20)
        let seqScans = SQL("test_seq_scans", """
            select seq_scan as n from pg_stat_user_tables where relid = 'berth.jobs'::regclass
            """)
        let flush = SQL("test_flush_stats", "select pg_stat_force_next_flush(), pg_stat_clear_snapshot()")
        _ = try h.connection.execute(flush)
        let before: Int = try h.connection.queryRow(seqScans)?.decode("n") ?? -1
        for _ in 0..<3 { #expect(try h.queue.claim(worker: "w", limit: 5, leaseSeconds: 30).count == 5) }
        try h.queue.setTenantLimit("other", maxRunning: 1)
        #expect(try h.queue.claim(worker: "w", limit: 5, leaseSeconds: 30).count == 5)
        _ = try h.connection.execute(flush)
        let after: Int = try h.connection.queryRow(seqScans)?.decode("n") ?? -1
        #expect(after == before, "claims scanned berth.jobs sequentially \(after - before) times")
    }

    @Test func uniqueKeyAllowsOneActiveJob() throws {
        let h = try QueueHarness()
        let first = try h.queue.enqueue(.init(kind: "noop", uniqueKey: "network:t1:us-east-2"))
        let second = try h.queue.enqueue(.init(kind: "noop", uniqueKey: "network:t1:us-east-2"))
        #expect(first == second)
        #expect(try h.count("select count(*) as n from berth.jobs where unique_key is not null") == 1)
        let job = try #require(try h.queue.claim(worker: "w", limit: 1, leaseSeconds: 30).first)
        #expect(try h.queue.enqueue(.init(kind: "noop", uniqueKey: "network:t1:us-east-2")) == first)
        #expect(try h.queue.finish(job: job, token: job.leaseToken!, succeeded: true))
        let third = try h.queue.enqueue(.init(kind: "noop", uniqueKey: "network:t1:us-east-2"))
        #expect(third != first)
        #expect(throws: QueueError.self) { try h.queue.enqueue(.init(kind: "noop", uniqueKey: "k"), count: 2) }
    }

    @Test func badInputIsRefusedAndChangesNothing() throws {
        let h = try QueueHarness()
        #expect(throws: QueueError.self) { try h.queue.enqueue(.init(kind: "")) }
        #expect(throws: QueueError.self) { try h.queue.enqueue(.init(kind: "noop", priority: 10)) }
        #expect(throws: QueueError.self) { try h.queue.enqueue(.init(kind: "noop", maxAttempts: 0)) }
        #expect(throws: QueueError.self) { try h.queue.enqueue(.init(kind: "noop"), count: 0) }
        #expect(throws: PostgresError.self) { try h.queue.enqueue(.init(kind: "noop", args: JSONText("{not json"))) }
        #expect(try h.count("select count(*) as n from berth.jobs") == 0)
    }

    @Test func claimCostDoesNotGrowWithFinishedJobs() throws {
        let h = try QueueHarness()
        // The claim plan only touches the partial index of queued jobs: with 200k finished rows
        // it still reads a handful of buffers.
        try h.connection.executeScript("""
            insert into berth.jobs (kind, state, finished_at) select 'noop', 'succeeded', now() from generate_series(1, 200000);
            analyze berth.jobs;
            """, operation: "seed")
        try h.queue.enqueue(.init(kind: "noop"), count: 10)
        let plan = try h.connection.query(SQL("explain_claim", """
            explain (analyze, buffers, format json)
            select id from berth.jobs where state = 'queued' and tenant = $1 and run_at <= now()
             order by priority, run_at, id limit 8 for update skip locked
            """), [""])
        let text = plan.compactMap { $0[0] }.joined()
        let object = try JSONText(text).object() as? [[String: Any]]
        let top = object?.first?["Plan"] as? [String: Any]
        let buffers = (top?["Shared Hit Blocks"] as? Int ?? 0) + (top?["Shared Read Blocks"] as? Int ?? 0)
        #expect(buffers < 50, "claim read \(buffers) buffers: \(text)")
        #expect(text.contains("jobs_claim_idx"))
    }
}
