import ArgumentParser
import Foundation
import Provisioning

extension TenantCommand {
    /// `berth tenant delete NAME [--wait]`: offboarding through `berth.delete_tenant`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a tenant (berth.delete_tenant): its clusters, then its networks, IAM roles and repository in AWS, then its key.",
            discussion: "From this call on the tenant takes no new clusters. The row stays as a tombstone (state deleted), so its events and usage stay readable; the name is not reused. Running it again returns the same job, or starts over after that job failed.")

        @Argument(help: "The tenant's name.") var name: String
        @Flag(help: "Show progress until the tenant is deleted.") var wait = false
        @Option(parsing: .unconditional, help: "With --wait: give up after this long.") var timeout = DurationArgument(seconds: 3600)
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let connection = try wait ? common.connectDirect() : common.connect()
            let store = TenantStore(connection)
            let tenant = try store.require(name: name)
            if tenant.state == .deleted {
                // The state asked for holds already: not an error for a script that runs this twice.
                if json { Output.json(tenant); return }
                Output.line("tenant \(name) was deleted at \(Output.time(tenant.deletedAt)) (job \(tenant.deleteJob.map { "\($0)" } ?? "-")): nothing of it is left in AWS")
                return
            }
            let log = EventLog(connection)
            let since = try log.last(1, filter: .init(tenant: name)).last?.id ?? 0
            let job = try store.delete(name: name)
            if !wait {
                if json { Output.json(["tenant": name, "job": "\(job)", "state": "deleting"]) }
                else { Output.line("tenant \(name) is being deleted (job \(job)); follow it with berth tenant delete \(name) --wait or berth events --tenant \(name) --follow") }
                return
            }
            var outcome: String?
            try log.follow(after: since, filter: .init(tenant: name), poll: 0.5, deadline: Date().addingTimeInterval(timeout.seconds)) { event in
                Output.event(event, json: json)
                if event.clusterId == nil, event.type == "tenant.deleted" || event.type == "tenant.failed" {
                    outcome = event.type
                    return false
                }
                return true
            }
            switch outcome {
            case "tenant.deleted": return
            case nil:
                throw ExitCodeError(code: 1, message: "gave up waiting after \(Int(timeout.seconds)) s; job \(job) keeps going (berth events --tenant \(name) --follow)")
            default:
                throw ExitCodeError(code: 1, message: "deleting tenant \(name) stopped (job \(job)); see the events above")
            }
        }
    }
}
