import Foundation
import Provisioning
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
