import Foundation
import Provisioning
import Testing
import TestSupport

/// Figures for the notes, not a test of speed: `BERTH_READY_FIGURES=N scripts/test --filter
/// ReadyFigures` creates N ECS clusters (1 worker each) one after the other under the compute
/// emulation, and prints the time from enqueue to `ready` (p50, p99, each) and the RSS of the
/// emulated Dask processes while the last one is ready. Off unless asked for.
@Suite(.enabled(if: Int(ProcessInfo.processInfo.environment["BERTH_READY_FIGURES"] ?? "") != nil))
struct ReadyFigures {
    @Test func enqueueToReadyWithRealDask() throws {
        let count = Int(ProcessInfo.processInfo.environment["BERTH_READY_FIGURES"] ?? "") ?? 10
        let h = try ProvisioningHarness()
        try ComputeClusterTests.compute(h, on: true)
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        var seconds: [Double] = []
        var rss: [String: Int] = [:]
        for index in 0..<count {
            let started = Date()
            let id = try h.create(tenant, "f\(index)", spec: #"{"workers": 1}"#)
            let ready = try h.waitFor(id, .ready, timeout: 300, worker: worker)
            seconds.append(Date().timeIntervalSince(started))
            if index == count - 1 { rss = Self.daskRSS() }
            _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: ready.name)
            _ = try h.waitFor(id, .stopped, timeout: 180, worker: worker)
        }
        let sorted = seconds.sorted()
        let p = { (q: Double) in sorted[min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1)] }
        print("ReadyFigures: enqueue -> ready (ECS, 1 worker, real Dask), \(count) clusters one at a time: p50 "
              + String(format: "%.1f s, p99 %.1f s; each: %@", p(0.5), p(0.99), seconds.map { String(format: "%.1f", $0) }.joined(separator: " ")))
        print("ReadyFigures: RSS of the emulated Dask processes: "
              + rss.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value / 1024) MiB" }.joined(separator: ", "))
        var load = [Double](repeating: 0, count: 3)
        _ = getloadavg(&load, 3)
        print("ReadyFigures: load average \(load.map { String(format: "%.2f", $0) }.joined(separator: " "))")
    }

    /// Resident set (KiB) of each process that runs `dask scheduler` or `dask worker` (or a
    /// worker's nanny child) in an emulated sandbox, by its command line.
    static func daskRSS() -> [String: Int] {
        var found: [String: Int] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
            guard let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                  environ.range(of: Data("BERTH_EMULATOR_ADDRESS=".utf8)) != nil,
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { continue }
            let command = String(decoding: cmdline.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            guard command.contains("dask") || command.contains("multiprocessing") else { continue }
            let kib = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
                .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
            let label = "\(entry) " + (command.contains("scheduler") ? "scheduler" : command.contains("worker") ? "worker" : "child")
            found[label] = kib
        }
        return found
    }
}
