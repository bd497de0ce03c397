import ArgumentParser

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Enqueue, inspect, retry and cancel jobs.",
        subcommands: [Enqueue.self, List.self, Show.self, Retry.self, Cancel.self, Cap.self])

    typealias Common = DatabaseOptions
}
