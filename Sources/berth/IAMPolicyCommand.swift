import ArgumentParser
import Provisioning

/// `berth iam-policy`: the policy a tenant grants Berth in its own AWS account.
struct IAMPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iam-policy",
        abstract: "Print the IAM policy a tenant's access key needs: every AWS action Berth calls, nothing more.")

    @Flag(help: "List each action with why Berth needs it instead of the policy document.")
    var explain = false

    @Option(help: "A worker role the tenant's clusters use (repeatable): the PassRole statement names it.")
    var workerRoleArn: [String] = []

    func run() throws {
        let roles = try workerRoleArn.map { try WorkerRole(parsing: $0).arn }
        if !explain { Output.block(IAMPolicy.document(workerRoles: roles)); return }
        Output.table(["ACTION", "STATEMENT", "WHY"], AWSActions.all.map { [$0.name, $0.statement.rawValue, $0.purpose] })
    }
}
