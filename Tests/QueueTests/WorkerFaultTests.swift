import Foundation
import Postgres
import Queue
import Testing
import TestSupport

/// A worker process that freezes or loses its link to the server: its handlers stop at their
/// next checkpoint once a lease has passed without a heartbeat, it gives up on an unanswered
/// statement within its timeout, and another process finishes the job.
@Suite struct WorkerFaultTests {
    private func worker(_ url: String, _ extra: [String] = []) throws -> ChildProcess {
        try ChildProcess(arguments: ["worker", "--concurrency", "2", "--handler-connections", "1", "--lease", "1s",
                                     "--heartbeat", "100ms", "--rescue-interval", "100ms", "--poll-interval", "50ms"] + extra,
                         environment: ["DATABASE_URL": url, "BERTH_LOG_LEVEL": "info"])
    }

    /// Frozen (SIGSTOP) in the middle of a job for longer than its lease, while another worker
    /// rescues the job and finishes it: woken, the handler stops at its next checkpoint instead
    /// of running to its end (its heartbeat thread had no chance to learn anything yet).
    @Test func aFrozenWorkerStopsAtItsNextCheckpoint() throws {
        let h = try QueueHarness()
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 1500}"#))).first)
        let frozen = try worker(h.db.url)
        try poll(timeout: 10, "the job running in the first worker") { frozen.log.contains("job running") }
        frozen.signal(SIGSTOP)
        defer { frozen.signal(SIGCONT) }
        let other = try worker(h.db.url)
        defer { other.signal(SIGKILL) }
        let done = try h.waitFor(id, .succeeded, timeout: 20)
        #expect(done.attempt == 2)
        frozen.signal(SIGCONT)
        try poll(timeout: 10, "the woken worker to drop the attempt") { frozen.log.contains("job attempt abandoned: lease lost") }
        #expect(!frozen.log.contains("job outcome discarded"), "\(frozen.log)")
        #expect(!frozen.log.contains("job succeeded"), "\(frozen.log)")
    }

    /// The link to the server swallows everything (a blackhole proxy): the worker's heartbeat
    /// gives up within its statement timeout and says so, its handler stops once a lease has
    /// passed, and a worker with a working link rescues and finishes the job.
    @Test func aWorkerBehindABlackholedLinkGivesUpAndAnotherFinishesTheJob() throws {
        let h = try QueueHarness()
        let proxy = try BlackholeProxy(targetPort: URLComponents(string: h.db.url)!.port!)
        defer { proxy.stop() }
        let id = try #require(try h.queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 8000}"#))).first)
        let cut = try worker(proxy.url(for: h.db.url), ["--lease", "2s", "--heartbeat", "200ms"])
        defer { cut.signal(SIGKILL) }
        try poll(timeout: 10, "the job running behind the proxy") { cut.log.contains("job running") }
        proxy.blackhole()
        let started = Date()
        // Statement timeout: half the 2 s lease; the client waits 1 s more.
        try poll(timeout: 8, "the cut-off worker to give up on its heartbeat") { cut.log.contains("no answer from the server") }
        #expect(Date().timeIntervalSince(started) < 4)
        try poll(timeout: 8, "its handler to stop") { cut.log.contains("job attempt abandoned: lease lost") }
        let other = try worker(h.db.url, ["--lease", "2s", "--heartbeat", "200ms"])
        defer { other.signal(SIGKILL) }
        try poll(timeout: 10, "the other worker to take the job") { other.log.contains("job running") }
        #expect(try h.job(id).attempt == 2)
        #expect(try h.errors(of: id).first.flatMap { $0["error"] as? String }?.contains("lease expired") == true)
    }
}
