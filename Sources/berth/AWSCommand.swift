import ArgumentParser

/// `berth aws …`: checks of the configured AWS credentials.
struct AWSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aws",
        abstract: "Check the AWS credentials Berth is configured with.",
        subcommands: [])
}
