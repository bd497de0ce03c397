import ArgumentParser
import Foundation
import Postgres
import Queue

extension JobsCommand {
    struct Enqueue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enqueue COUNT jobs of KIND in one statement (one NOTIFY).",
            discussion: "The built-in kind 'noop' takes args sleep_ms, fail (retryable|permanent), fail_attempts, snooze_ms, snooze_times.")

        @Argument(help: "The job kind, e.g. noop.")
        var kind: String

        @Option(help: "Arguments as a JSON object.")
        var args = "{}"

        @Option(help: "Tenant the job belongs to.")
        var tenant = ""

        @Option(parsing: .unconditional, help: "How many identical jobs to enqueue.")
        var count = 1

        @Option(parsing: .unconditional, help: "0 (first) to 9 (last).")
        var priority = 1

        @Option(parsing: .unconditional, help: "Attempts before the job ends failed.")
        var maxAttempts = 20

        @Option(help: "At most one queued or running job per key.")
        var uniqueKey: String?

        @Option(parsing: .unconditional, help: "Run after this delay (e.g. 30s, 5m).")
        var runIn: DurationArgument?

        @Flag(help: "Print the ids as JSON.")
        var json = false

        @OptionGroup var common: JobsCommand.Common

        func run() throws {
            try JSONArgument.checkObject(args, option: "--args", example: #"'{"sleep_ms": 10}'"#)
            let job = JobQueue.NewJob(kind: kind, tenant: tenant, args: JSONText(args), priority: priority,
                                      runAt: runIn.map { Date().addingTimeInterval($0.seconds) },
                                      maxAttempts: maxAttempts, uniqueKey: uniqueKey)
            do { try job.validate(count: count) } catch { throw UsageError(String(describing: error)) }
            let ids: [Int64]
            do { ids = try JobQueue(try common.connect()).enqueue(job, count: count) } catch let error as PostgresError {
                throw JSONArgument.invalid(error, option: "--args", text: args)
            }
            if json {
                Output.json(["ids": ids])
            } else if ids.count <= 20 {
                for id in ids { Output.line(String(id)) }
            } else {
                Output.line("enqueued \(ids.count) jobs (\(ids.first!)…\(ids.last!))")
            }
        }
    }
}
