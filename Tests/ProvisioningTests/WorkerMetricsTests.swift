import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// A worker with `--http` building a real cluster in the emulator: AWS calls and provisioning
/// are counted through swift-metrics.
@Suite struct WorkerMetricsTests {
    @Test func awsCallsAndTimeToReadyAreExported() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try ChildProcess(arguments: ["worker", "--http", "127.0.0.1:0", "--concurrency", "8", "--handler-connections", "4",
                                                  "--lease", "2s", "--heartbeat", "200ms", "--poll-interval", "50ms",
                                                  "--backoff-base", "20ms", "--backoff-cap", "200ms"],
                                      environment: h.environment)
        defer { worker.signal(SIGKILL) }
        let line = try poll(timeout: 60, "the worker to listen", until: { $0 != nil }) {
            worker.log.split(separator: "\n").first { $0.contains("worker http listening") }.map(String.init)
        }!
        let port = try #require(line.components(separatedBy: "address=127.0.0.1:").last?.split(separator: " ").first.flatMap { Int($0) })
        // Throttle one call: it is counted as throttled, then retried to success.
        try h.injectFaults(plan: ["throttle"], actions: ["CreateSecurityGroup"])
        let id = try h.create(tenant, "m1", spec: #"{"workers": 2}"#)
        try h.waitFor(id, .ready, worker: worker)

        let metrics = try scrape(port)
        func value(_ series: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect((value(#"berth_aws_requests_total{service="ec2",operation="CreateVpc",outcome="ok",code=""}"#) ?? 0) >= 1)
        #expect((value(#"berth_aws_requests_total{service="ecs",operation="RunTask",outcome="ok",code=""}"#) ?? 0) >= 1)
        #expect(metrics.contains(#"berth_aws_requests_total{service="ec2",operation="CreateSecurityGroup",outcome="throttled""#))
        #expect((value(#"berth_aws_request_seconds_count{service="ec2",operation="CreateVpc"}"#) ?? 0) >= 1)
        #expect(value(#"berth_cluster_ready_seconds_count{backend="ecs"}"#) == 1)
        #expect(value(#"berth_clusters{state="ready",backend="ecs"}"#) == 1)
        #expect((value(#"berth_jobs_claimed_total{kind="cluster.create"}"#) ?? 0) >= 1)
        // No tenant name or cluster id in any label.
        #expect(!metrics.contains(tenant.name) && !metrics.contains(id.uuidString.lowercased()))
    }

    private func scrape(_ port: Int) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "30", "http://127.0.0.1:\(port)/metrics"]
        let out = Pipe.closedOnExec()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
