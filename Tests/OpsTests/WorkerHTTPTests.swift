import Foundation
import Postgres
import Queue
import Testing
import TestSupport

/// `berth worker --http`: /metrics, /healthz, /readyz from a real worker process.
@Suite struct WorkerHTTPTests {
    private func worker(_ db: TestDatabase, _ extra: [String] = []) throws -> (ChildProcess, WebClient) {
        let child = try ChildProcess(arguments: ["worker", "--http", "127.0.0.1:0", "--concurrency", "4", "--handler-connections", "1",
                                                 "--poll-interval", "100ms", "--backoff-base", "10ms", "--backoff-cap", "20ms"] + extra,
                                     environment: ["DATABASE_URL": db.url, "BERTH_LOG_LEVEL": "info"])
        return (child, WebClient(port: try listeningPort(child, marker: "worker http listening")))
    }

    /// The value of the sample `name{labels}` (labels as printed), or nil.
    private func sample(_ metrics: String, _ series: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func metricsCountTheQueuesWorkWithBoundedLabels() throws {
        let db = try TestDatabase.create()
        let queue = JobQueue(try db.connect())
        try queue.enqueue(.init(kind: "noop", tenant: "acme"), count: 20)
        try queue.enqueue(.init(kind: "noop", tenant: "acme", args: JSONText(#"{"fail": "permanent"}"#), maxAttempts: 1), count: 2)
        // A kind this worker has no handler for: its label is "other", not the kind.
        try queue.enqueue(.init(kind: "mystery-\(UUID().uuidString)", tenant: "acme", maxAttempts: 1))
        let (child, client) = try worker(db)
        defer { child.signal(SIGKILL) }
        try poll(timeout: 30, "all jobs to finish") {
            try db.connect().queryRow(SQL("t_left", "select count(*) as n from berth.jobs where state in ('queued', 'running')"))?.decode("n", as: Int.self) == 0
        }
        let answer = try client.get("/metrics")
        #expect(answer.status == 200)
        #expect(answer.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let metrics = answer.body
        #expect(sample(metrics, #"berth_jobs_claimed_total{kind="noop"}"#) == 22)
        #expect(sample(metrics, #"berth_job_attempts_total{kind="noop",outcome="succeeded"}"#) == 20)
        #expect(sample(metrics, #"berth_job_attempts_total{kind="noop",outcome="failed"}"#) == 2)
        #expect(sample(metrics, #"berth_jobs_claimed_total{kind="other"}"#) == 1)
        #expect(!metrics.contains("mystery"))
        #expect(!metrics.contains("acme"))  // no tenant labels unless asked
        #expect((sample(metrics, "berth_claim_seconds_count") ?? 0) >= 1)
        #expect(sample(metrics, #"berth_job_run_seconds_count{kind="noop"}"#) == 22)
        #expect(sample(metrics, #"berth_job_pickup_seconds_count{kind="noop"}"#) == 22)
        // Read from the database at scrape time.
        #expect(sample(metrics, #"berth_jobs{state="failed",kind="noop"}"#) == 2)
        #expect(sample(metrics, #"berth_jobs{state="failed",kind="other"}"#) == 1)
        #expect(sample(metrics, "berth_worker_slots") == 4)
        #expect(sample(metrics, "berth_db_connections_max") == 5)

        #expect(try client.get("/healthz").status == 200)
        let ready = try client.get("/readyz")
        #expect(ready.status == 200 && ready.body.hasPrefix("ready"))
        #expect(try client.get("/nothing-here").status == 404)
    }

    @Test func tenantLabelsOnlyWhenAskedFor() throws {
        let db = try TestDatabase.create()
        try JobQueue(try db.connect()).enqueue(.init(kind: "noop", tenant: "globex"), count: 3)
        let (child, client) = try worker(db, ["--metrics-tenant-labels"])
        defer { child.signal(SIGKILL) }
        try poll(timeout: 30, "three attempts counted") {
            sample(try client.get("/metrics").body, #"berth_job_attempts_total{kind="noop",tenant="globex",outcome="succeeded"}"#) == 3
        }
    }

    @Test func readyzSaysNotReadyWhileTheWorkerDrains() throws {
        let db = try TestDatabase.create()
        let queue = JobQueue(try db.connect())
        let id = try #require(try queue.enqueue(.init(kind: "noop", args: JSONText(#"{"sleep_ms": 8000}"#))).first)
        let (child, client) = try worker(db, ["--grace-period", "20s"])
        defer { child.signal(SIGKILL) }
        try poll(timeout: 20, "the job to run") { try queue.get(id: id)?.state == .running }
        try poll(timeout: 10, "readyz to answer 200 while the job runs") { try client.get("/readyz").status == 200 }
        child.signal(SIGTERM)
        let draining = try poll(timeout: 10, "readyz to turn 503", until: { $0.status == 503 }) { try client.get("/readyz") }
        #expect(draining.body.contains("draining"))
        #expect(try client.get("/healthz").status == 200)  // alive all the same
    }

    @Test func badListenAddressesAreRefused() throws {
        let db = try TestDatabase.create()
        let bad = try runBerth(["worker", "--http", "localhost"], environment: ["DATABASE_URL": db.url])
        #expect(bad.status == 2)
        #expect(bad.output.contains("'localhost' is not a listen address"))
        let tenantWithoutHTTP = try runBerth(["worker", "--metrics-tenant-labels"], environment: ["DATABASE_URL": db.url])
        #expect(tenantWithoutHTTP.status == 2)
        // A port in use: exit 1, saying so.
        let (first, client) = try worker(db)
        defer { first.signal(SIGKILL) }
        let port = client.base.split(separator: ":").last.map(String.init) ?? ""
        let busy = try runBerth(["worker", "--http", "127.0.0.1:\(port)"], environment: ["DATABASE_URL": db.url], timeout: 60)
        #expect(busy.status == 1)
        #expect(busy.output.contains("cannot listen on 127.0.0.1:\(port)"))
    }
}
