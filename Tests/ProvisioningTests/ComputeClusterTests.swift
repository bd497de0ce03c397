import AWS
import Foundation
import Provisioning
import Testing
import TestSupport

/// Real Dask under the emulator's compute emulation (on for this test's account only): the
/// cluster Berth builds takes a client's work. BERTH_SKIP_COMPUTE_TESTS=1 skips them, as it
/// skips the emulator's own compute tests.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BERTH_SKIP_COMPUTE_TESTS"] != "1"))
struct ComputeClusterTests {
    /// The pinned image's local environment (scripts/emulator/install-envs): the client runs the
    /// cluster's Python and Dask, as a Dask user must.
    static let python = (ProcessInfo.processInfo.environment["BERTH_EMULATOR_ENVS"] ?? "/opt/berth/emulator-envs")
        + "/dask-2026.7.1-py3.12/bin/python"

    @Test func anECSClusterComputesWithARealDaskClient() throws {
        let h = try ProvisioningHarness()
        try Self.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let started = Date()
        let id = try h.create(tenant, "dask", spec: #"{"workers": 2}"#)
        let ready = try h.waitFor(id, .ready, timeout: 240, worker: worker)
        let seconds = Date().timeIntervalSince(started)
        let address = try #require(ready.schedulerAddress)
        #expect(ready.dashboardURL == address.replacingOccurrences(of: "tcp://", with: "http://")
            .replacingOccurrences(of: ":8786", with: ":8787/status"))

        let answer = try Self.client(address, workers: 2)
        #expect(answer.first == "4950")
        // Two workers, each named after its own task (its hostname), none after the other's.
        #expect(answer.count == 3 && answer[1] == "2" && answer[2].split(separator: ",").count == 2)
        print("ComputeClusterTests: enqueue -> ready with real Dask (ECS, 2 workers) in \(String(format: "%.1f", seconds)) s")

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "dask")
        let stopped = try h.waitFor(id, .stopped, timeout: 120, worker: worker)
        #expect(try h.leftovers(of: stopped).isEmpty)
        let running = try Self.status(h)["tasks"] as? [[String: Any]] ?? []
        let left = running.filter { task in
            (task["taskArn"] as? String)?.contains(h.account) == true && task["lastStatus"] as? String != "STOPPED"
        }
        #expect(left.isEmpty, "tasks still running: \(left)")
    }

    @Test func aVMClusterComputesWithARealDaskClient() throws {
        let h = try ProvisioningHarness()
        try Self.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "vm", spec: #"{"backend": "vm", "workers": 1}"#)
        let ready = try h.waitFor(id, .ready, timeout: 240, worker: worker)
        let answer = try Self.client(try #require(ready.schedulerAddress), workers: 1)
        #expect(answer.first == "4950")
        #expect(answer.count == 3 && answer[1] == "1" && answer[2].hasPrefix("i-"), "\(answer)")

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "vm")
        let stopped = try h.waitFor(id, .stopped, timeout: 120, worker: worker)
        #expect(try h.leftovers(of: stopped).isEmpty)
        let instances = try Self.status(h)["instances"] as? [[String: Any]] ?? []
        let ids = Set(try h.aws().describeInstances(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())]).map(\.instanceId))
        let left = instances.filter { ids.contains($0["instanceId"] as? String ?? "") && $0["state"] as? String != "terminated" }
        #expect(left.isEmpty, "instances still running: \(left)")
    }

    @Test func aBadImageEndsInErrorWithThePullFailureAndLeavesNothing() throws {
        let h = try ProvisioningHarness()
        try Self.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "bad", spec: #"{"workers": 1, "image": "ghcr.io/dask/no-such-image:1"}"#)
        let failed = try h.waitFor(id, .error, timeout: 180, worker: worker)
        #expect(failed.error?.contains("CannotPullContainerError") == true, "\(failed.error ?? "no error")")
        // The cleanup runs after the error: it ends, the cluster stays in error, nothing is left.
        try poll(timeout: 120, "cleanup to finish") {
            try h.count("select count(*) as n from berth.jobs where kind = 'cluster.delete' and state = 'succeeded'") == 1
        }
        #expect(try h.cluster(id).state == .error)
        #expect(try h.leftovers(of: failed).isEmpty)
    }

    /// `4950`, the number of workers, their names (comma-separated), one per line.
    static func client(_ address: String, workers: Int) throws -> [String] {
        let script = """
            import sys
            from distributed import Client
            with Client(sys.argv[1], timeout=30) as c:
                c.wait_for_workers(\(workers), timeout=60)
                print(c.submit(sum, range(100)).result(timeout=30))
                names = sorted(str(w["name"]) for w in c.scheduler_info()["workers"].values())
                print(len(names))
                print(",".join(sorted(set(names))))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, address]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func compute(_ h: ProvisioningHarness, on: Bool) throws {
        let body = try JSONSerialization.data(withJSONObject: ["enabled": on, "account": h.account])
        let response = try HTTPClient().perform(HTTPRequest(method: "POST", url: h.endpoint + "/__berth/compute",
                                                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body)))
        guard response.status == 200 else { throw SetupError("the emulator refused /__berth/compute: \(response.status)") }
    }

    static func status(_ h: ProvisioningHarness) throws -> [String: Any] {
        let response = try HTTPClient().perform(HTTPRequest(method: "GET", url: h.endpoint + "/__berth/compute", headers: [], body: []))
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }
}
