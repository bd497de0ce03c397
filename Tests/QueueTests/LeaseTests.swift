import Foundation
import Postgres
import Queue
import Testing
import TestSupport

@Suite struct LeaseTests {
    @Test func expiredLeasesAreRescuedWithTheReasonRecorded() throws {
        let h = try QueueHarness()
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", maxAttempts: 3)).first)
        let claimed = try #require(try h.queue.claim(worker: "dead-worker", limit: 1, leaseSeconds: 0.05).first)
        #expect(claimed.id == id)
        // Nothing to rescue while the lease holds … then it lapses.
        let rescued = try poll(timeout: 5, "the rescuer to take the job back", until: { !$0.isEmpty }) { try h.queue.rescue() }
        #expect(rescued.map(\.id) == [id])
        let job = try h.job(id)
        #expect(job.state == .queued)
        #expect(job.leaseToken == nil && job.lockedBy == nil)
        let history = try h.errors(of: id)
        #expect(history.count == 1)
        #expect((history.first?["error"] as? String)?.contains("lease expired: worker dead-worker") == true)
        #expect(history.first?["attempt"] as? Int == 1)
    }

    @Test func aJobOutOfAttemptsFailsWhenRescued() throws {
        let h = try QueueHarness()
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", maxAttempts: 1)).first)
        _ = try h.queue.claim(worker: "w", limit: 1, leaseSeconds: 0.01)
        try poll(timeout: 5, "rescue") { try !h.queue.rescue().isEmpty }
        let job = try h.job(id)
        #expect(job.state == .failed)
        #expect(job.finishedAt != nil)
    }

    @Test func aLateFinisherIsFencedOut() throws {
        let h = try QueueHarness()
        let id = try #require(try h.queue.enqueue(.init(kind: "noop")).first)
        let first = try #require(try h.queue.claim(worker: "slow", limit: 1, leaseSeconds: 0.01).first)
        try poll(timeout: 5, "rescue") { try !h.queue.rescue().isEmpty }
        let second = try #require(try h.queue.claim(worker: "fresh", limit: 1, leaseSeconds: 30).first)
        #expect(second.id == id && second.attempt == 2)
        #expect(first.leaseToken != second.leaseToken)
        // The first worker wakes up and reports: nothing changes.
        #expect(try h.queue.finish(job: first, token: first.leaseToken!, succeeded: false, error: "late") == false)
        #expect(try h.queue.heartbeat([(first.id, first.leaseToken!)], leaseSeconds: 30).isEmpty)
        var job = try h.job(id)
        #expect(job.state == .running && job.lockedBy == "fresh" && job.leaseToken == second.leaseToken)
        #expect(try h.queue.finish(job: second, token: second.leaseToken!, succeeded: true))
        job = try h.job(id)
        #expect(job.state == .succeeded)
    }

    @Test func heartbeatsKeepLongJobsAlive() throws {
        let h = try QueueHarness()
        var config = QueueHarness.fastConfig(concurrency: 1)
        // A lease of 1 s: the queue's statements get at most half a lease, and a lease of
        // 0.3 s gave a heartbeat 150 ms, which a loaded 2-core machine sometimes exceeded.
        config.lease = 1
        config.heartbeatInterval = 0.1
        let pool = try h.startPool(config)
        defer { try? pool.stop() }
        // Runs for 4 leases: only heartbeats keep another rescuer from taking it.
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 4000}"#))).first)
        let job = try h.waitFor(id, .succeeded)
        #expect(job.attempt == 1)
        #expect(try h.errors(of: id).isEmpty)
    }
}
