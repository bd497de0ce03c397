import Foundation
import Postgres
import Queue
import Testing
import TestSupport

/// Jobs claimed ahead of busy workers (`WorkerConfig.prefetch`): held under a heartbeated lease,
/// cancelled and released without running, and counted by tenant caps.
@Suite struct PrefetchTests {
    /// One worker thread and `prefetch` jobs ahead: with a backlog, the first claim fills the
    /// worker and the next claims ahead at once.
    private func config(prefetch: Int) -> WorkerConfig {
        var config = QueueHarness.fastConfig(concurrency: 1)
        config.prefetch = prefetch
        config.pollInterval = 60  // only the backlog may explain the claims ahead
        return config
    }

    private func running(_ h: QueueHarness) throws -> Int {
        try h.count("select count(*) as n from berth.jobs where state = 'running'")
    }

    /// Jobs are claimed ahead only during a backlog of jobs shorter than a claim: four no-op
    /// jobs first, then the jobs under test, one per entry of `jobs` (claimed while the no-ops
    /// still set the process's recent run time).
    private func backlog(_ h: QueueHarness, _ jobs: [JSONText], tenant: String = "") throws -> [Int64] {
        try h.queue.enqueue(.init(kind: "noop", tenant: tenant), count: 4)
        return try jobs.map { try #require(try h.queue.enqueue(.init(kind: "noop", tenant: tenant, args: $0)).first) }
    }

    /// Three jobs after the no-ops, and a pool of one worker: returns once the first of the three
    /// runs and the other two are claimed ahead.
    private func startWithTwoAhead(_ h: QueueHarness, _ config: WorkerConfig, _ jobs: [JSONText]) throws -> (ids: [Int64], handler: CountingNoop, pool: QueueHarness.RunningPool) {
        let ids = try backlog(h, jobs)
        let handler = CountingNoop()
        let pool = try h.startPool(config, handlers: [NoopJob.kind: handler])
        try poll(timeout: 10, "the no-ops done, one job running and two claimed ahead") {
            try running(h) == 3 && handler.started == 5
        }
        return (ids, handler, pool)
    }

    @Test func jobsClaimedAheadKeepTheirLeaseAndRunOnce() throws {
        let h = try QueueHarness()
        var config = config(prefetch: 2)
        config.lease = 1
        let (ids, handler, pool) = try startWithTwoAhead(h, config, Array(repeating: JSONText(#"{"sleep_ms": 1200}"#), count: 3))
        defer { try? pool.stop(immediate: true) }
        // The last waits more than two leases for the worker: heartbeats keep its lease.
        for id in ids {
            let job = try h.waitFor(id, .succeeded, timeout: 20)
            #expect(job.attempt == 1)
            #expect(try h.errors(of: id).isEmpty)
        }
        #expect(handler.started == 4 + 3)
    }

    @Test func aCancelledJobClaimedAheadEndsWithoutRunning() throws {
        let h = try QueueHarness()
        let (ids, handler, pool) = try startWithTwoAhead(h, config(prefetch: 2), [JSONText(#"{"sleep_ms": 60000}"#), JSONText("{}"), JSONText("{}")])
        defer { try? pool.stop(immediate: true) }
        let (long, ahead) = (ids[0], Array(ids.dropFirst()))
        #expect(try h.queue.cancel(id: ahead[0]) == .running)
        // Ends now, while the only worker is still busy with the long job.
        let job = try h.waitFor(ahead[0], .cancelled, timeout: 5)
        #expect(job.attempt == 1 && job.lastError?.contains("cancelled") == true)
        #expect(try h.job(long).state == .running)
        #expect(try h.job(ahead[1]).state == .running)
        #expect(handler.started == 5)
    }

    @Test func shutdownReleasesJobsClaimedAheadAtOnce() throws {
        let h = try QueueHarness()
        var config = config(prefetch: 2)
        config.gracePeriod = 20
        let (ids, handler, pool) = try startWithTwoAhead(h, config, Array(repeating: JSONText(#"{"sleep_ms": 500}"#), count: 3))
        try pool.stop()
        // The started job finishes within the grace period; the two that never started go back.
        #expect(try h.job(ids[0]).state == .succeeded)
        for id in ids.dropFirst() {
            let job = try h.job(id)
            #expect(job.state == .queued && job.attempt == 0, "job \(id): \(job.state.rawValue)")
            #expect(job.lastError == "released: worker shutting down")
        }
        #expect(handler.started == 5)
    }

    @Test func tenantCapsCountJobsClaimedAhead() throws {
        let h = try QueueHarness()
        try h.queue.setTenantLimit("capped", maxRunning: 2)
        let ids = try backlog(h, Array(repeating: JSONText(#"{"sleep_ms": 300}"#), count: 6), tenant: "capped")
        let pool = try h.startPool(config(prefetch: 8))
        defer { try? pool.stop(immediate: true) }
        var most = 0
        try poll(timeout: 20, "the capped jobs to finish") {
            most = max(most, try running(h))
            return try ids.allSatisfy { try h.job($0).state == .succeeded }
        }
        // One running and one ahead at most: the cap, not the prefetch depth, bounds the claims.
        #expect(most <= 2)
    }
}
