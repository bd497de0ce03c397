import Foundation
@testable import Provisioning
import Testing

/// The pinned image, and the VM boot script that runs it.
@Suite struct DaskImageTests {
    @Test func theDefaultImageIsPinnedAndTheEmulatorRunsTheSameOne() throws {
        #expect(DaskImage.daskVersion(of: DaskImage.default) == "2026.7.1")
        #expect(DaskImage.pythonVersion(of: DaskImage.default) == "3.12")
        #expect(DaskImage.daskVersion(of: "ghcr.io/dask/dask:latest") == nil)
        #expect(DaskImage.pythonVersion(of: "python:3.12-slim") == nil)
        #expect(DaskImage.daskVersion(of: "localhost:5000/dask") == nil)

        let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/emulator/berth_emulator/compute/images.py")
        let text = try String(contentsOf: images, encoding: .utf8)
        #expect(text.contains("DEFAULT_IMAGE = \"\(DaskImage.default)\""),
                "the emulator's compute/images.py must map the image Berth runs by default")
        #expect(text.contains("GPU_IMAGE = \"\(DaskImage.gpuDefault)\""),
                "the emulator's compute/images.py must map the image Berth's GPU workers run")
    }

    /// The GPU image is a versioned RAPIDS tag for CUDA 12 on the default image's Python.
    @Test func theGPUImageIsPinnedOnTheSamePython() {
        #expect(DaskImage.gpuDefault.hasPrefix("rapidsai/base:26.10-cuda12-"))
        #expect(DaskImage.pythonVersion(of: DaskImage.gpuDefault) == DaskImage.pythonVersion(of: DaskImage.default))
        #expect(DaskImage.daskVersion(of: DaskImage.gpuDefault) == nil)  // RAPIDS's tag names its own release
        #expect(DaskImage.worker(gpu: true) == DaskImage.gpuDefault && DaskImage.worker(gpu: false) == DaskImage.default)
    }

    /// A GPU worker's boot script: the RAPIDS image with every GPU, running dask-cuda's worker
    /// with the usual name, death timeout and TLS launcher, and the resource GPU=1.
    @Test func aGPUWorkersUserDataRunsDaskCUDAWithTheGPU() throws {
        let spec = try ClusterSpec.decode(#"{"backend": "vm", "region": "us-east-2", "workers": 1, "worker_gpus": 1, "worker_cpu": 4, "worker_memory": 16, "scheduler_cpu": 2, "scheduler_memory": 8}"#)
        let command = DaskTLS.command(.worker, DaskWorker.command(scheduler: "tls://10.64.0.5:8786", name: VMUserData.instanceID, spec: spec))
        let script = VMUserData.script(.init(role: "worker", clusterID: "c-1", image: DaskImage.worker(gpu: true), command: command,
                                             gpu: true, secret: .init(arn: "arn:aws:secretsmanager:us-east-2:123456789012:secret:berth/x", variable: DaskTLS.variable)))
        #expect(script.contains("docker run --rm --net=host --gpus all -e BERTH_TLS --name dask \(DaskImage.gpuDefault) python -c '"))
        #expect(script.contains(" worker dask cuda worker tls://10.64.0.5:8786 --name \"$instance_id\" --nthreads 4 --memory-limit 16384MiB --death-timeout 60 --dashboard-address :8787 --resources GPU=1 &\n"))
        #expect(try Self.bashParses(script))
        // A CPU worker: plain `dask worker`, no GPU flags, the CPU image.
        var cpu = spec
        cpu.workerGpus = 0
        let plain = DaskWorker.command(scheduler: "tls://10.64.0.5:8786", name: "w", spec: cpu)
        #expect(plain.prefix(2) == ["dask", "worker"] && !plain.contains("--resources") && !plain.contains("cuda"))
    }

    let worker = VMUserData.Launch(
        role: "worker", clusterID: "c-1", image: DaskImage.default,
        command: ["dask", "worker", "tls://10.64.0.5:8786", "--name", VMUserData.instanceID, "--death-timeout", "60"],
        gpu: false)

    @Test func theScriptRunsTheImageWithHostNetworkingThenShutsDown() throws {
        let script = VMUserData.script(worker)
        #expect(script.hasPrefix("#!/bin/bash\n"))
        #expect(script.contains("""
            docker run --rm --net=host --name dask \(DaskImage.default) dask worker tls://10.64.0.5:8786 \
            --name "$instance_id" --death-timeout 60
            """))
        #expect(script.contains("dnf install -y docker"))
        #expect(script.hasSuffix("shutdown -h now\n"))
        #expect(!script.contains("--gpus"))
        var gpu = worker
        gpu.gpu = true
        #expect(VMUserData.script(gpu).contains("docker run --rm --net=host --gpus all --name dask"))
        #expect(VMUserData.script(worker) == script)
    }

    @Test func argumentsAreQuotedForTheShell() throws {
        var odd = worker
        odd.command = ["sh", "-c", "echo it's $HOME; rm -rf /", ""]
        let script = VMUserData.script(odd)
        #expect(script.contains(#"sh -c 'echo it'\''s $HOME; rm -rf /' ''"#))
        // bash reads it back as the same words.
        #expect(try Self.bashParses(script))
    }

    /// `bash -n`: the script parses.
    static func bashParses(_ script: String) throws -> Bool {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/bash")
        check.arguments = ["-n", "-c", script]
        try check.run()
        check.waitUntilExit()
        return check.terminationStatus == 0
    }
}
