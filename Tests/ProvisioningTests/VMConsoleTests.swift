import Foundation
import Provisioning
import Testing

/// VM readiness is read from the scheduler's console: the lines its boot script writes
/// (`VMUserData`) and how `VMConsole` reads them. Pure, no I/O but `bash -n`.
@Suite struct VMConsoleTests {
    static let launch = VMUserData.Launch(role: "scheduler", clusterID: "c", image: "ghcr.io/dask/dask:2026.7.1-py3.12",
                                          command: ["dask", "scheduler"], gpu: false)

    @Test func readsHealthTheLastWorkerCountAndAnExit() {
        let booting = VMConsole(output: "[  1.0] kernel\nberth: starting the Dask scheduler on i-1\n", role: "scheduler")
        #expect(!booting.healthy && booting.workers == nil && booting.exited == nil)
        #expect(booting.lastLine == "berth: starting the Dask scheduler on i-1")

        let text = """
            cloud-init[1234]: berth: the Dask scheduler is healthy
            berth: workers connected: 0
            berth: workers connected: 2
            berth: workers connected: 1
            """
        let ready = VMConsole(output: text, role: "scheduler")
        #expect(ready.healthy && ready.workers == 1 && ready.exited == nil)

        let gone = VMConsole(output: text + "\nberth: Dask exited with status 137; shutting down\n", role: "scheduler")
        #expect(gone.exited == "berth: Dask exited with status 137; shutting down")
        // A worker's healthy line is not the scheduler's.
        #expect(!VMConsole(output: VMUserData.healthyLine("worker"), role: "scheduler").healthy)
        #expect(VMConsole(output: nil, role: "scheduler") == VMConsole(output: "", role: "scheduler"))
    }

    @Test func theSchedulersScriptWritesTheLinesTheConsoleReads() throws {
        let scheduler = VMUserData.script(Self.launch)
        #expect(scheduler.contains("echo \"\(VMUserData.healthyLine("scheduler"))\""))
        #expect(scheduler.contains("echo \"\(VMUserData.workersPrefix)$count\""))
        #expect(scheduler.contains("/json/counts.json"))
        #expect(scheduler.contains("echo \"\(VMUserData.exitedPrefix)$status; shutting down\""))
        var worker = Self.launch
        worker.role = "worker"
        let workerScript = VMUserData.script(worker)
        #expect(workerScript.contains(VMUserData.healthyLine("worker")) && !workerScript.contains("counts.json"))
        for script in [scheduler, workerScript] {
            #expect(try Self.bashAccepts(script), "bash -n refused:\n\(script)")
        }
    }

    static func bashAccepts(_ script: String) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-n"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
