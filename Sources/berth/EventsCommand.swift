import ArgumentParser
import Foundation
import Provisioning

/// `berth events`: what provisioning did and is doing, live with --follow.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show provisioning events (steps, retries, state changes); --follow streams new ones as they happen.")

    @Option(help: "Only this tenant's events.") var tenant: String?
    @Option(help: "Only this cluster's events (by name).") var cluster: String?
    @Flag(help: "Keep streaming new events until interrupted.") var follow = false
    @Option(parsing: .unconditional, help: "How many past events to show first.") var last = 50
    @Flag(help: "One JSON object per line.") var json = false
    @OptionGroup var common: JobsCommand.Common

    func run() throws {
        guard (0...10_000).contains(last) else { throw UsageError("--last must be between 0 and 10000, got \(last)") }
        // --follow LISTENs: a direct connection then (a pooler in transaction mode cannot carry it).
        let log = EventLog(try follow ? common.connectDirect() : common.connect())
        let filter = EventLog.Filter(tenant: tenant, clusterName: cluster)
        var lastId: Int64 = 0
        for event in try log.last(last, filter: filter) {
            show(event)
            lastId = max(lastId, event.id)
        }
        guard follow else { return }
        if lastId == 0 { lastId = try log.last(1, filter: .init()).last?.id ?? 0 }
        try log.follow(after: lastId, filter: filter) { event in
            show(event)
            return true
        }
    }

    private func show(_ event: Event) {
        Output.event(event, json: json)
    }
}
