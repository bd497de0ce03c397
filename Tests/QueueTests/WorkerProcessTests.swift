import Foundation
import Postgres
import Queue
import Testing
import TestSupport

/// Real `berth worker` processes: killed, terminated, and four at once.
@Suite struct WorkerProcessTests {
    private func worker(_ h: QueueHarness, _ extra: [String] = []) throws -> ChildProcess {
        try ChildProcess(arguments: ["worker", "--concurrency", "4", "--handler-connections", "1", "--lease", "1s",
                                     "--heartbeat", "100ms", "--rescue-interval", "100ms", "--poll-interval", "50ms",
                                     "--backoff-base", "10ms", "--backoff-cap", "50ms"] + extra,
                         environment: ["DATABASE_URL": h.db.url, "BERTH_LOG_LEVEL": "info"])
    }

    @Test func aKilledWorkersJobIsRescuedAndFinishedByAnother() throws {
        let h = try QueueHarness()
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 1500}"#))).first)
        let victim = try worker(h)
        try h.waitFor(id, .running)
        victim.signal(SIGKILL)
        #expect(try victim.waitForExit() != 0)
        let rescuer = try worker(h)
        defer { rescuer.signal(SIGKILL) }
        let job = try h.waitFor(id, .succeeded, timeout: 20)
        #expect(job.attempt == 2)
        #expect(try h.errors(of: id).first.flatMap { $0["error"] as? String }?.contains("lease expired") == true)
    }

    @Test func aKilledWorkersJobsClaimedAheadAreRescuedAndRunOnce() throws {
        let h = try QueueHarness()
        // Claimed ahead only during a backlog of short jobs: four no-ops first.
        try h.queue.enqueue(.init(kind: "noop"), count: 4)
        let ids = try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 1500}"#)), count: 3)
        let victim = try worker(h, ["--concurrency", "1", "--prefetch", "2"])
        try poll(timeout: 10, "one job running and two claimed ahead") {
            try h.count("select count(*) as n from berth.jobs where state = 'running'") == 3 && starts(victim.log, ids[0]) == 1
        }
        victim.signal(SIGKILL)
        #expect(try victim.waitForExit() != 0)
        let rescuer = try worker(h)
        defer { rescuer.signal(SIGKILL) }
        for id in ids {
            let job = try h.waitFor(id, .succeeded, timeout: 20)
            #expect(job.attempt == 2)
            #expect(try h.errors(of: id).map { $0["error"] as? String ?? "" }.filter { $0.contains("lease expired") }.count == 1)
        }
        // Started once by the victim (the job it ran), and once each by the rescuer.
        #expect(ids.map { starts(victim.log, $0) } == [1, 0, 0], "\(victim.log)")
        #expect(ids.map { starts(rescuer.log, $0) } == [1, 1, 1], "\(rescuer.log)")
    }

    /// How many times a worker's log shows the job's handler starting.
    private func starts(_ log: String, _ id: Int64) -> Int {
        log.split(separator: "\n").filter { $0.contains("job running") && $0.split(separator: " ").contains("job=\(id)") }.count
    }

    @Test func sigtermDrainsAndExitsZero() throws {
        let h = try QueueHarness()
        let quick = try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 200}"#)), count: 2)
        let slow = try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 60000}"#)), count: 1)
        // The grace period leaves the 200 ms jobs ample time even on a loaded 2-core machine;
        // the 60 s job outlasts it and is released.
        let process = try worker(h, ["--grace-period", "3s"])
        try poll(timeout: 10, "three jobs running") { try h.count("select count(*) as n from berth.jobs where state = 'running'") == 3 }
        process.signal(SIGTERM)
        #expect(try process.waitForExit() == 0, "\(process.log)")
        for id in quick { #expect(try h.job(id).state == .succeeded) }
        let released = try h.job(slow[0])
        #expect(released.state == .queued && released.attempt == 0)
        #expect(process.log.contains("worker stopped"))
        #expect(process.log.contains("job succeeded"))
        #expect(process.log.contains("job released to the queue"))
    }

    @Test func fourProcessesNeverExceedATenantCap() throws {
        let h = try QueueHarness()
        try h.queue.setTenantLimit("capped", maxRunning: 3)
        let args = JSONText(#"{"sleep_ms": 25}"#)
        try h.queue.enqueue(.init(kind: "noop", tenant: "capped", args: args), count: 80)
        try h.queue.enqueue(.init(kind: "noop", tenant: "free", args: args), count: 80)
        let workers = try (0..<4).map { _ in try worker(h) }
        defer { for w in workers { w.signal(SIGKILL) } }
        try poll(timeout: 60, "all jobs to finish") { try h.count("select count(*) as n from berth.jobs where state <> 'succeeded'") == 0 }
        // Each job's interval runs from its claim (clock time after the claim's snapshot) to its
        // completion: the most that overlap at any job's start is the real concurrency.
        let maxOverlap = """
            select coalesce(max(c), 0) as n from (
              select (select count(*) from berth.jobs b where b.tenant = a.tenant
                        and b.attempted_at <= a.attempted_at and b.finished_at > a.attempted_at) as c
                from berth.jobs a where a.tenant = $1) s
            """
        let capped = try h.count(maxOverlap, ["capped"])
        let free = try h.count(maxOverlap, ["free"])
        #expect(capped >= 1 && capped <= 3, "capped tenant ran \(capped) at once")
        // The measurement can see overlap: the uncapped tenant used the workers freely.
        #expect(free > 3, "uncapped tenant only reached \(free)")
        let lockedBy = try h.count("select count(distinct locked_by) as n from berth.jobs")
        #expect(lockedBy == 0)  // all finished, leases cleared
    }
}
