import ArgumentParser

struct Berth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "Provision Dask clusters in AWS through a Postgres job queue.",
        subcommands: [AWSCommand.self])
}

Berth.main()
