import ArgumentParser
import Foundation
import Queue

extension JobsCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List recent jobs, newest first.")

        @Option(help: "Only jobs in this state (queued, running, succeeded, failed, cancelled).")
        var state: String?

        @Option(help: "Only this tenant's jobs.")
        var tenant: String?

        @Option(help: "Only jobs of this kind.")
        var kind: String?

        @Option(parsing: .unconditional, help: "At most this many (1-10000).")
        var limit = 50

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            var filter: JobState?
            if let state {
                guard let parsed = JobState(rawValue: state) else {
                    throw UsageError("--state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")); got '\(state)'")
                }
                filter = parsed
            }
            guard (1...10_000).contains(limit) else { throw UsageError("--limit must be between 1 and 10000, got \(limit)") }
            let jobs = try JobQueue(try common.connect()).list(state: filter, tenant: tenant, kind: kind, limit: limit)
            if json { Output.json(jobs); return }
            Output.table(["ID", "KIND", "TENANT", "STATE", "ATTEMPT", "RUN AT", "LAST ERROR"], jobs.map { job in
                [String(job.id), job.kind, job.tenant, job.state.rawValue, "\(job.attempt)/\(job.maxAttempts)",
                 Output.time(job.runAt), String((job.lastError ?? "").prefix(60))]
            })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job with its error history.")

        @Argument(help: "The job id.")
        var id: Int64

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            guard let job = try JobQueue(try common.connect()).get(id: id) else {
                throw QueueError.notFound(id)
            }
            if json { Output.json(job); return }
            let object = Output.object(job)
            Output.fields(object, ["id", "kind", "tenant", "state", "priority", "attempt", "max_attempts", "snoozes", "run_at",
                                   "locked_by", "locked_until", "cancel_requested", "unique_key", "created_at", "attempted_at",
                                   "finished_at", "args", "output", "last_error"], width: 17)
            if let errors = object["errors"] as? [[String: Any]], !errors.isEmpty {
                Output.line("errors:")
                for entry in errors {
                    Output.line("  \(entry["at"] ?? "") attempt \(entry["attempt"] ?? "?"): \(entry["error"] ?? "")")
                }
            }
        }
    }
}
