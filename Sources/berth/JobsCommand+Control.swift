import ArgumentParser
import Queue

extension JobsCommand {
    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a failed, cancelled, succeeded or scheduled job again now.")

        @Argument(help: "The job id.")
        var id: Int64

        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            try JobQueue(try common.connect()).retry(id: id)
            Output.line("job \(id) queued")
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a job: a queued one at once, a running one at its next checkpoint.")

        @Argument(help: "The job id.")
        var id: Int64

        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            let state = try JobQueue(try common.connect()).cancel(id: id)
            Output.line(state == .cancelled ? "job \(id) cancelled" : "job \(id) is running: asked to stop at its next checkpoint")
        }
    }

    struct Cap: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cap a tenant's running jobs across all workers ('*' sets the default).")

        @Argument(help: "The tenant, or '*' for every tenant without its own cap.")
        var tenant: String

        @Argument(help: "The most jobs that may run at once; omit with --clear.")
        var maxRunning: Int?

        @Flag(help: "Remove the cap.")
        var clear = false

        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            guard clear != (maxRunning != nil) else { throw UsageError("give either MAX_RUNNING (0 or more) or --clear") }
            do {
                try JobQueue(try common.connect()).setTenantLimit(tenant, maxRunning: clear ? nil : maxRunning)
            } catch let error as QueueError { throw UsageError(error.description) }
            Output.line(clear ? "cap removed for \(tenant)" : "cap for \(tenant): \(maxRunning!) running")
        }
    }
}
