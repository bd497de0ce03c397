import Foundation
import Postgres
import Queue
import Testing
import TestSupport

@Suite struct LifecycleTests {
    @Test func retryableFailuresBackOffThenSucceed() throws {
        let h = try QueueHarness()
        let pool = try h.startPool()
        defer { try? pool.stop() }
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"fail": "retryable", "fail_attempts": 2}"#))).first)
        let job = try h.waitFor(id, .succeeded)
        #expect(job.attempt == 3)
        let history = try h.errors(of: id)
        #expect(history.map { $0["attempt"] as? Int } == [1, 2])
        #expect(history.allSatisfy { ($0["error"] as? String)?.contains("noop asked to fail") == true })
        #expect(job.lastError?.contains("attempt 2") == true)
    }

    @Test func shortJobsKeepFlowingBesideALongOne() throws {
        // The producer lets freed slots gather briefly before claiming; a slot held by a long
        // job must not hold the others back. No poll: only freed slots can drive these claims.
        let h = try QueueHarness()
        var config = QueueHarness.fastConfig(concurrency: 2)
        config.pollInterval = 60
        let pool = try h.startPool(config)
        defer { try? pool.stop(immediate: true) }
        let long = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 20000}"#))).first)
        try h.waitFor(long, .running)
        try h.queue.enqueue(.init(kind: "noop"), count: 50)
        try poll(timeout: 10, "50 short jobs to finish beside the long one") {
            try h.count("select count(*) as n from berth.jobs where state = 'succeeded'") == 50
        }
        #expect(try h.job(long).state == .running)
    }

    @Test func aBusyProcessVacuumsTheJobsTable() throws {
        let h = try QueueHarness()
        let vacuums = SQL("test_vacuum_count", "select vacuum_count as n from pg_stat_user_tables where relid = 'berth.jobs'::regclass")
        let before: Int = try h.connection.queryRow(vacuums)?.decode("n") ?? -1
        var config = QueueHarness.fastConfig(concurrency: 4)
        config.vacuumEvery = 50
        let pool = try h.startPool(config)
        defer { try? pool.stop() }
        try h.queue.enqueue(.init(kind: "noop"), count: 200)
        try poll(timeout: 15, "a vacuum of berth.jobs after 50 claimed jobs") {
            _ = try h.connection.query(SQL("test_clear_stats", "select pg_stat_clear_snapshot()"))
            return (try h.connection.queryRow(vacuums)?.decode("n", as: Int.self) ?? -1) > before
        }
    }

    @Test func permanentErrorsFailAtOnce() throws {
        let h = try QueueHarness()
        let pool = try h.startPool()
        defer { try? pool.stop() }
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"fail": "permanent"}"#))).first)
        let job = try h.waitFor(id, .failed)
        #expect(job.attempt == 1)
        #expect(job.finishedAt != nil)
    }

    @Test func exhaustedAttemptsEndFailed() throws {
        let h = try QueueHarness()
        let pool = try h.startPool()
        defer { try? pool.stop() }
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"fail": "retryable"}"#), maxAttempts: 3)).first)
        let job = try h.waitFor(id, .failed)
        #expect(job.attempt == 3)
        #expect(try h.errors(of: id).count == 3)
        #expect(job.lastError?.contains("attempts exhausted: 3 of 3") == true)
    }

    @Test func unknownKindsAreRetriedNotLost() throws {
        let h = try QueueHarness()
        let pool = try h.startPool()
        defer { try? pool.stop() }
        let id = try #require(try h.queue.enqueue(.init(kind: "from_the_future", maxAttempts: 2)).first)
        let job = try h.waitFor(id, .failed)
        #expect(job.lastError?.contains("no handler for job kind 'from_the_future'") == true)
    }

    @Test func snoozeRequeuesWithoutUsingAnAttempt() throws {
        let h = try QueueHarness()
        let pool = try h.startPool()
        defer { try? pool.stop() }
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"snooze_ms": 30, "snooze_times": 3}"#), maxAttempts: 1)).first)
        let job = try h.waitFor(id, .succeeded)
        #expect(job.attempt == 1)
        #expect(job.snoozes == 3)
        #expect(try h.errors(of: id).isEmpty)
    }

    @Test func cancellingAQueuedJobEndsIt() throws {
        let h = try QueueHarness()
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", runAt: Date().addingTimeInterval(60))).first)
        #expect(try h.queue.cancel(id: id) == .cancelled)
        let job = try h.job(id)
        #expect(job.state == .cancelled && job.attempt == 0 && job.finishedAt != nil)
        #expect(throws: QueueError.self) { try h.queue.cancel(id: id) }
        #expect(throws: QueueError.self) { try h.queue.cancel(id: 999_999) }
    }

    @Test func cancellingARunningJobStopsItAtItsCheckpoint() throws {
        let h = try QueueHarness()
        var config = QueueHarness.fastConfig()
        config.heartbeatInterval = 60  // the cancel must arrive by NOTIFY, not by the heartbeat
        config.lease = 120
        let pool = try h.startPool(config)
        defer { try? pool.stop() }
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 60000}"#))).first)
        try h.waitFor(id, .running)
        #expect(try h.queue.cancel(id: id) == .running)
        let job = try h.waitFor(id, .cancelled, timeout: 5)
        #expect(job.cancelRequested)
        #expect(job.lastError?.contains("cancelled") == true)
    }

    @Test func retryPutsAFinishedJobBack() throws {
        let h = try QueueHarness()
        let pool = try h.startPool()
        defer { try? pool.stop() }
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"fail": "permanent", "fail_attempts": 1}"#), maxAttempts: 1)).first)
        try h.waitFor(id, .failed)
        try h.queue.retry(id: id)
        let job = try h.waitFor(id, .succeeded)
        #expect(job.attempt == 2 && job.maxAttempts == 2)
    }

    @Test func anIdlePoolWakesOnNotify() throws {
        let h = try QueueHarness()
        var config = QueueHarness.fastConfig()
        config.pollInterval = 120  // only NOTIFY can explain a prompt pickup
        let pool = try h.startPool(config)
        defer { try? pool.stop() }
        // Let the producer reach its idle wait (it claims once at start).
        try poll(timeout: 5, "producer listening") {
            try h.count("select count(*) as n from pg_stat_activity where application_name = 'berth producer' and wait_event = 'ClientRead'") >= 1
        }
        for _ in 0..<3 {
            let id = try #require(try h.queue.enqueue(.init(kind: "noop")).first)
            try h.waitFor(id, .succeeded, timeout: 5)
        }
        let latency = try h.connection.queryRow(SQL("latency", """
            select max(extract(epoch from attempted_at - created_at))::float8 as worst from berth.jobs
            """))?.decode("worst", as: Double.self) ?? 99
        #expect(latency < 1, "pickup took \(latency)s")
    }

    @Test func gracefulShutdownLetsRunningJobsFinish() throws {
        let h = try QueueHarness()
        var config = QueueHarness.fastConfig(concurrency: 3)
        config.gracePeriod = 20
        let handler = CountingNoop()
        let pool = try h.startPool(config, handlers: [NoopJob.kind: handler])
        let ids = try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 300}"#)), count: 3)
        // Started in their handlers, not only claimed (the database shows a job running from
        // its claim on): the stop finds them inside their handlers.
        try poll(timeout: 5, "all three started") { handler.started == 3 }
        let more = try h.queue.enqueue(.init(kind: "noop"), count: 5)
        try pool.stop()
        for id in ids {
            let job = try h.job(id)
            #expect(job.state == .succeeded, "job \(id): \(job.state.rawValue), \(job.lastError ?? "-")")
        }
        // Nothing new was claimed once the stop began.
        for id in more { #expect(try h.job(id).state == .queued) }
    }

    @Test func shutdownReleasesWhatOutlivesTheGracePeriod() throws {
        let h = try QueueHarness()
        var config = QueueHarness.fastConfig(concurrency: 2)
        config.gracePeriod = 0.1
        let pool = try h.startPool(config)
        let ids = try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 60000}"#)), count: 2)
        try poll(timeout: 5, "both running") { try h.count("select count(*) as n from berth.jobs where state = 'running'") == 2 }
        try pool.stop()
        for id in ids {
            let job = try h.job(id)
            #expect(job.state == .queued)
            #expect(job.attempt == 0)  // a release gives the attempt back
            #expect(job.lastError == "released: worker shutting down")
        }
    }
}

extension LifecycleTests {
    /// A capped tenant's next job starts when a slot (and the cap) frees, without waiting for
    /// a NOTIFY or the poll: with caps the producer claims on every freed slot.
    @Test func aFreedCapIsUsedAtOnce() throws {
        let h = try QueueHarness()
        try h.queue.setTenantLimit("capped", maxRunning: 1)
        var config = QueueHarness.fastConfig(concurrency: 2)
        config.pollInterval = 60
        let pool = try h.startPool(config)
        defer { try? pool.stop() }
        try poll(timeout: 5, "producer listening") {
            try h.count("select count(*) as n from pg_stat_activity where application_name = 'berth producer' and wait_event = 'ClientRead'") >= 1
        }
        let ids = try h.queue.enqueue(.init(kind: "noop", tenant: "capped", args: JSONText(#"{"sleep_ms": 100}"#)), count: 3)
        try poll(timeout: 10, "the three capped jobs one after another") { try ids.allSatisfy { try h.job($0).state == .succeeded } }
    }
}
