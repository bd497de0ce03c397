import ArgumentParser
import Foundation
import Queue

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Jobs per state, the oldest ready job's wait, and running jobs per tenant.")

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var databaseOptions: DatabaseOptions

    func run() throws {
        let status = try JobQueue(try databaseOptions.connect()).status()
        if json {
            Output.json([
                "counts": status.counts, "ready": status.ready, "scheduled": status.scheduled,
                "oldest_queued_age_seconds": status.oldestQueuedAgeSeconds as Any? ?? NSNull(),
                "running_per_tenant": status.runningPerTenant,
            ] as [String: Any])
            return
        }
        Output.line("jobs:")
        for state in JobState.allCases { Output.line("  \(state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(status.counts[state.rawValue] ?? 0)") }
        Output.line("queued: \(status.ready) ready, \(status.scheduled) scheduled for later")
        if let age = status.oldestQueuedAgeSeconds, age > 0 {
            Output.line(String(format: "oldest ready job waiting: %.3fs", age))
        } else {
            Output.line("oldest ready job waiting: -")
        }
        Output.line("running per tenant:")
        if status.runningPerTenant.isEmpty { Output.line("  (none)") }
        for (tenant, count) in status.runningPerTenant.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
            Output.line("  \(tenant.isEmpty ? "(none)" : tenant) \(count)")
        }
    }
}
