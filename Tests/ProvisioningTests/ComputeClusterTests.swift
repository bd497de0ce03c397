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
        #expect(address.hasPrefix("tls://"))
        #expect(ready.dashboardURL == address.replacingOccurrences(of: "tls://", with: "http://")
            .replacingOccurrences(of: ":8786", with: ":8787/status"))

        let credentials = try Self.credentials(h, tenant: tenant, cluster: "dask")
        let answer = try Self.client(credentials, workers: 2)
        #expect(answer.first == "4950", "\(answer)")
        // Two workers, each named after its own task (its hostname), none after the other's.
        #expect(answer.count == 3 && answer[1] == "2" && answer[2].split(separator: ",").count == 2)
        try Self.refusesStrangers(h, address: address, credentials: credentials)
        try Self.showsNoKeys(h, tenant: tenant, cluster: "dask", id: id)
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

    /// A scale up with real Dask: the new worker task joins the scheduler, and a client sees it.
    @Test func anECSClusterScaledUpServesTheNewWorkerToADaskClient() throws {
        let h = try ProvisioningHarness()
        try Self.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "grow", spec: #"{"workers": 1}"#)
        try h.waitFor(id, .ready, timeout: 240, worker: worker)
        let scaled = try h.berth(["cluster", "scale", "grow", "--tenant", tenant.name, "--workers", "2", "--wait", "--timeout", "240s"])
        #expect(scaled.status == 0, "\(scaled.output)\n\(worker.log.suffix(3000))")
        let answer = try Self.client(try Self.credentials(h, tenant: tenant, cluster: "grow"), workers: 2)
        #expect(answer.count == 3 && answer[1] == "2" && answer[2].split(separator: ",").count == 2, "\(answer)")

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "grow")
        #expect(try h.leftovers(of: try h.waitFor(id, .stopped, timeout: 120, worker: worker)).isEmpty)
    }

    @Test func aVMClusterComputesWithARealDaskClient() throws {
        let h = try ProvisioningHarness()
        try Self.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "vm", spec: #"{"backend": "vm", "workers": 1}"#)
        let ready = try h.waitFor(id, .ready, timeout: 240, worker: worker)
        let address = try #require(ready.schedulerAddress)
        #expect(address.hasPrefix("tls://"))
        let credentials = try Self.credentials(h, tenant: tenant, cluster: "vm")
        let answer = try Self.client(credentials, workers: 1)
        #expect(answer.first == "4950", "\(answer)")
        #expect(answer.count == 3 && answer[1] == "1" && answer[2].hasPrefix("i-"), "\(answer)")
        try Self.refusesStrangers(h, address: address, credentials: credentials)

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "vm")
        let stopped = try h.waitFor(id, .stopped, timeout: 120, worker: worker)
        #expect(try h.leftovers(of: stopped).isEmpty)
        let instances = try Self.status(h)["instances"] as? [[String: Any]] ?? []
        let ids = Set(try h.aws().describeInstances(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())]).map(\.instanceId))
        let left = instances.filter { ids.contains($0["instanceId"] as? String ?? "") && $0["state"] as? String != "terminated" }
        #expect(left.isEmpty, "instances still running: \(left)")
    }

    /// A GPU VM cluster: the worker runs the pinned RAPIDS image with `dask cuda worker`, which
    /// the emulation runs as a plain worker with the resource GPU=1 (no GPU here, docs/aws.md);
    /// a task that needs a GPU runs on it.
    @Test func aGPUVMClusterComputesWithARealDaskClient() throws {
        let h = try ProvisioningHarness()
        try Self.compute(h, on: true)
        let tenant = try h.tenant(gpuAccess: true)
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "gpu", spec: #"{"backend": "vm", "workers": 1, "worker_gpus": 1}"#)
        let ready = try h.waitFor(id, .ready, timeout: 240, worker: worker)
        #expect(ready.workerDaskImage == DaskImage.gpuDefault && ready.daskImage == DaskImage.default)
        let instances = try h.aws().describeInstances(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased()),
                                                                EC2Filter("instance-state-name", "running")])
        #expect(instances.filter { $0.instanceType == "g4dn.xlarge" }.count == 1, "\(instances.map(\.instanceType))")
        let credentials = try Self.credentials(h, tenant: tenant, cluster: "gpu")
        let answer = try Self.client(credentials, workers: 1, gpu: true)
        #expect(answer == ["4950", "1", answer.count > 2 ? answer[2] : "", "1.0"] && answer[2].hasPrefix("i-"), "\(answer)")

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "gpu")
        let stopped = try h.waitFor(id, .stopped, timeout: 120, worker: worker)
        #expect(try h.leftovers(of: stopped).isEmpty)
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

    /// `berth cluster credentials NAME --tenant T --dir D`: the files it wrote (0600, in a 0700
    /// folder) and the three lines of Python it printed, which hold no key or certificate.
    static func credentials(_ h: ProvisioningHarness, tenant: Tenant, cluster: String) throws -> (folder: String, python: [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("berth-credentials-\(UUID().uuidString)/\(cluster)").path
        let made = try h.berth(["cluster", "credentials", cluster, "--tenant", tenant.name, "--dir", folder])
        #expect(made.status == 0, "\(made.output)")
        #expect(!made.output.contains("PRIVATE KEY") && !made.output.contains("BEGIN CERTIFICATE"), "\(made.output)")
        #expect(try FileManager.default.attributesOfItem(atPath: folder)[.posixPermissions] as? Int == 0o700)
        for file in ["ca.pem", "client.pem", "client-key.pem"] {
            #expect(try FileManager.default.attributesOfItem(atPath: folder + "/" + file)[.posixPermissions] as? Int == 0o600, "\(file)")
        }
        #expect(try String(contentsOfFile: folder + "/client-key.pem", encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        // Files already there are kept unless --force.
        let again = try h.berth(["cluster", "credentials", cluster, "--tenant", tenant.name, "--dir", folder])
        #expect(again.status == 2 && again.output.contains("exists: give --force"), "\(again.output)")
        let forced = try h.berth(["cluster", "credentials", cluster, "--tenant", tenant.name, "--dir", folder, "--force"])
        #expect(forced.status == 0, "\(forced.output)")
        let python = forced.output.split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("from distributed import") || $0.hasPrefix("sec = Security(") || $0.hasPrefix("client = Client(") }
        #expect(python.count == 3, "\(forced.output)")
        return (folder, python)
    }

    /// Runs the printed Python, then: `4950`, the number of workers, their names (comma-separated), one per line;
    /// with `gpu`, the sum runs as a task that needs the resource GPU=1, and a fourth line has the
    /// workers' GPU resources (comma-separated).
    static func client(_ credentials: (folder: String, python: [String]), workers: Int, gpu: Bool = false) throws -> [String] {
        let script = credentials.python.joined(separator: "\n") + """

            with client as c:
                c.wait_for_workers(\(workers), timeout=60)
                print(c.submit(sum, range(100)\(gpu ? #", resources={"GPU": 1}"# : "")).result(timeout=30))
                info = c.scheduler_info()["workers"].values()
                names = sorted(str(w["name"]) for w in info)
                print(len(names))
                print(",".join(sorted(set(names))))
                if \(gpu ? "True" : "False"):
                    print(",".join(str(w.get("resources", {}).get("GPU")) for w in info))
            """
        return try run(script, []).split(separator: "\n").map(String.init)
    }

    /// A client without a certificate, and one with a certificate of another cluster's
    /// authority, are refused: neither completes a connection to the scheduler.
    static func refusesStrangers(_ h: ProvisioningHarness, address: String, credentials: (folder: String, python: [String])) throws {
        let other = try ClusterTLS.make(clusterID: "another-cluster", now: Date())
        let folder = credentials.folder + "-other"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in [("ca.pem", other.authority.certificatePEM), ("client.pem", other.client.certificatePEM),
                             ("client-key.pem", other.client.revealPrivateKey())] {
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
        let script = """
            import socket, ssl, sys
            from distributed import Client, Security
            address, mine, other = sys.argv[1:4]
            def attempt(label, at=address, **kwargs):
                try:
                    with Client(at, timeout=5, **kwargs) as c:
                        print(label, "connected", c.submit(sum, range(100)).result(timeout=10))
                except Exception as error:
                    print(label, "refused", type(error).__name__)
            # Plain TCP to the scheduler's port, no certificate.
            attempt("plain", at=address.replace("tls://", "tcp://"), security=Security())
            # TLS, trusting the cluster's CA, but no client certificate (Dask's Security will not
            # even build such a context, so Python's ssl dials): the server's handshake refuses it.
            host, port = address[len("tls://"):].rsplit(":", 1)
            context = ssl.create_default_context(cafile=mine + "/ca.pem")
            context.check_hostname = False
            try:
                with socket.create_connection((host, int(port)), timeout=5) as raw, context.wrap_socket(raw) as tls:
                    tls.sendall(b"berth" * 2)
                    print("no-client-cert", "connected" if tls.recv(1) else "refused (closed)")
            except (ssl.SSLError, OSError) as error:
                print("no-client-cert", "refused", type(error).__name__)
            # A certificate of another cluster's authority (and that authority trusted).
            attempt("other-ca", security=Security(tls_ca_file=other + "/ca.pem", tls_client_cert=other + "/client.pem",
                                                  tls_client_key=other + "/client-key.pem", require_encryption=True))
            # Another authority's certificate, with this cluster's CA trusted for the server.
            attempt("other-cert", security=Security(tls_ca_file=mine + "/ca.pem", tls_client_cert=other + "/client.pem",
                                                    tls_client_key=other + "/client-key.pem", require_encryption=True))
            """
        let lines = try run(script, [address, credentials.folder, folder]).split(separator: "\n").map(String.init)
        for label in ["plain", "no-client-cert", "other-ca", "other-cert"] {
            #expect(lines.contains { $0.hasPrefix("\(label) refused") }, "\(label): \(lines)")
        }
        #expect(!lines.contains { $0.contains("connected") }, "\(lines)")
    }

    /// Certificates and keys are in no event, no `cluster show` (text or JSON), and not in what
    /// an account user with read-only access reads from ECS (DescribeTaskDefinition shows the
    /// secret's ARN, DescribeTasks the overrides' command).
    static func showsNoKeys(_ h: ProvisioningHarness, tenant: Tenant, cluster: String, id: UUID) throws {
        let material = ["PRIVATE KEY", "CERTIFICATE"]
        for text in [try h.berth(["cluster", "show", cluster, "--tenant", tenant.name]).output,
                     try h.berth(["cluster", "show", cluster, "--tenant", tenant.name, "--json"]).output,
                     try h.berth(["events", "--tenant", tenant.name, "--last", "500", "--json"]).output] {
            #expect(!material.contains { text.contains($0) }, "\(text.prefix(2000))")
        }
        let aws = h.aws()
        let family = { (role: String) in "berth-\(id.uuidString.lowercased())-\(role)" }
        func raw(_ action: String, _ body: [String: Any]) throws -> String {
            String(decoding: try aws.json(.ecs, action: action, body: Array(try JSONSerialization.data(withJSONObject: body))), as: UTF8.self)
        }
        for role in ["scheduler", "worker"] {
            let definition = try raw("DescribeTaskDefinition", ["taskDefinition": family(role)])
            #expect(definition.contains(#""valueFrom""#) && definition.contains(":secret:berth/\(tenant.name)/"), "\(definition.prefix(3000))")
            #expect(!material.contains { definition.contains($0) }, "\(role)")
        }
        let arns = try aws.listTasks(cluster: "berth-\(tenant.name)", startedBy: id.uuidString.lowercased())
        let tasks = try raw("DescribeTasks", ["cluster": "berth-\(tenant.name)", "tasks": arns])
        #expect(!material.contains { tasks.contains($0) }, "\(tasks.prefix(3000))")
    }

    /// Runs `script` with the cluster's Python; its standard output.
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
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
