import AWS
import ArgumentParser
import Foundation

/// `berth aws …`: checks of the configured AWS credentials.
struct AWSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aws",
        abstract: "Check the AWS credentials Berth is configured with.",
        subcommands: [WhoAmI.self])

    /// `berth aws whoami`: the account and ARN of the managed-account credentials, the
    /// first thing to check when provisioning fails with auth errors.
    struct WhoAmI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "whoami",
            abstract: "Print the account and ARN of the configured AWS credentials (STS GetCallerIdentity).",
            discussion: """
                Environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION \
                (default us-east-2), AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_STS.
                Exit codes: 0 success, 2 missing credentials, 1 AWS errors.
                """)

        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            guard let client = AWSClient.fromEnvironment() else {
                throw UsageError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (and not empty)")
            }
            // An AWSError propagates: main prints it (never a secret) and exits 1.
            let identity = try client.getCallerIdentity()
            if json {
                let object: [String: String] = ["account": identity.account, "arn": identity.arn, "user_id": identity.userId,
                                                "region": client.region, "access_key_id": client.credentials.accessKeyId]
                Output.jsonLine(object)
            } else {
                Output.line("account: \(identity.account)")
                Output.line("arn:     \(identity.arn)")
                Output.line("region:  \(client.region)")
            }
        }
    }
}
