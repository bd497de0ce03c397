import AWS
import Foundation
import Provisioning
import Testing
import TestSupport

/// A scheduler that dies before it is healthy, under the compute emulation (on for the test's
/// account only): the cluster ends in `error` with AWS's reason, and the cleanup leaves nothing
/// in AWS and no process behind. BERTH_SKIP_COMPUTE_TESTS=1 skips them, as ComputeClusterTests.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BERTH_SKIP_COMPUTE_TESTS"] != "1"))
struct ComputeFailureTests {
    @Test func anECSSchedulerKilledBeforeItIsHealthyEndsInErrorAndLeavesNothing() throws {
        let h = try ProvisioningHarness()
        try ComputeClusterTests.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "killed", spec: #"{"workers": 1}"#)
        // The scheduler's task (the cluster's first) once its container runs: its first health
        // check comes 5 s after the start (the interval), so it is not HEALTHY yet.
        let task = try poll(timeout: 180, every: 0.05, "the scheduler task to run", until: { $0 != nil }) { () throws -> [String: Any]? in
            try Self.tasks(h).first { $0["lastStatus"] as? String == "RUNNING" }
        }!
        #expect(task["healthStatus"] as? String != "HEALTHY", "killed too late: \(task)")
        let arn = try #require(task["taskArn"] as? String)
        let address = try #require(task["address"] as? String)
        try Self.control(h, "/__berth/compute/kill", ["task": arn])

        let failed = try h.waitFor(id, .error, timeout: 120, worker: worker)
        let reason = failed.error ?? ""
        #expect(reason.contains("Essential container in task exited") && reason.contains("exit code 137"), "\(reason)")
        try Self.cleanedUp(h, failed)
        let tasks = try Self.tasks(h)
        #expect(tasks.allSatisfy { $0["lastStatus"] as? String == "STOPPED" }, "\(tasks)")
        try poll(timeout: 30, every: 0.5, "the task's processes to end") { try Self.processes(address: address).isEmpty }
    }

    @Test func aVMSchedulerKilledBeforeItIsHealthyEndsInErrorWithItsConsoleAndLeavesNothing() throws {
        let h = try ProvisioningHarness()
        try ComputeClusterTests.compute(h, on: true)
        let tenant = try h.tenant()
        // A short step deadline: the scheduler never gets healthy, so readiness gives up.
        let worker = try h.worker(extraEnvironment: ["BERTH_AWS_WAIT_DEADLINE": "40"])
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "killed", spec: #"{"backend": "vm", "workers": 1}"#)
        let aws = h.aws()
        let mine = EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())
        // The scheduler instance once its boot script starts Dask (it takes seconds to answer).
        let scheduler = try poll(timeout: 180, every: 0.05, "the scheduler's boot script to start Dask", until: { $0 != nil }) { () throws -> String? in
            for instance in try aws.describeInstances(filters: [mine]) {
                let console = try aws.getConsoleOutput(instanceId: instance.instanceId) ?? ""
                if console.contains("berth: starting the Dask scheduler") { return instance.instanceId }
            }
            return nil
        }!
        #expect(!VMConsole(output: try aws.getConsoleOutput(instanceId: scheduler), role: "scheduler").healthy, "killed too late")
        let address = try #require(try aws.describeInstances(ids: [scheduler]).first?.privateIpAddress)
        try Self.control(h, "/__berth/compute/kill", ["instance": scheduler])

        let failed = try h.waitFor(id, .error, timeout: 180, worker: worker)
        let reason = failed.error ?? ""
        #expect(reason.contains("the scheduler to answer /health") && reason.contains("berth: starting the Dask scheduler on \(scheduler)"),
                "\(reason)")
        try Self.cleanedUp(h, failed)
        #expect(try aws.describeInstances(filters: [mine]).allSatisfy { $0.state == "terminated" })
        // Terminating shuts the instances down: SIGTERM, SIGKILL 10 s later.
        try poll(timeout: 30, every: 0.5, "the scheduler instance's processes to end") { try Self.processes(address: address).isEmpty }
    }

    /// The cleanup delete ran, the cluster stays in error, and nothing is left under its tags.
    static func cleanedUp(_ h: ProvisioningHarness, _ failed: Cluster) throws {
        try poll(timeout: 180, every: 0.2, "the cleanup to finish") {
            try h.count("select count(*) as n from berth.jobs where kind = 'cluster.delete' and state = 'succeeded' and args ->> 'cluster_id' = $1",
                        [failed.id.uuidString.lowercased()]) == 1
        }
        #expect(try h.cluster(failed.id).state == .error)
        #expect(try h.leftovers(of: failed).isEmpty)
    }

    /// The emulated tasks of the test's account.
    static func tasks(_ h: ProvisioningHarness) throws -> [[String: Any]] {
        (try ComputeClusterTests.status(h)["tasks"] as? [[String: Any]] ?? []).filter { ($0["taskArn"] as? String)?.contains(h.account) == true }
    }

    static func control(_ h: ProvisioningHarness, _ path: String, _ body: [String: String]) throws {
        let response = try HTTPClient().perform(HTTPRequest(method: "POST", url: h.endpoint + path,
                                                            headers: [HTTPHeader("Content-Type", "application/json")],
                                                            body: Array(try JSONSerialization.data(withJSONObject: body))))
        guard response.status == 200 else { throw SetupError("\(path) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))") }
    }

    /// Processes that run on an emulated task's or instance's address (its sandbox's marker).
    static func processes(address: String) throws -> [String] {
        let marker = Data("BERTH_EMULATOR_ADDRESS=\(address)\0".utf8)
        return try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { entry in
            guard Int(entry) != nil, let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { return false }
            return environ.range(of: marker) != nil
        }
    }
}
