import ArgumentParser
import Foundation
import Provisioning

struct Berth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "Provision Dask clusters in AWS through a Postgres job queue.",
        discussion: "Environment: DATABASE_URL, BERTH_LOG_LEVEL, BERTH_LOG_FORMAT (text|json). Exit codes: 0 success (also when standard output closes early), 2 bad input, 1 other errors.",
        subcommands: [MigrateCommand.self, WorkerCommand.self, TenantCommand.self, ClusterCommand.self, EventsCommand.self,
                      JobsCommand.self, StatusCommand.self, IAMPolicyCommand.self, AWSCommand.self,
                      ConsoleCommand.self, UsageCommand.self, SweepCommand.self])
}

/// Exit codes are part of the CLI contract: 0 success, 2 bad input, 1 anything else; 0 when
/// standard output closes early (`berth … | head -1`: see `Output`).
func runBerth() -> Int32 {
    let command: ParsableCommand
    do {
        command = try Berth.parseAsRoot()
    } catch {
        let code = Berth.exitCode(for: error)
        if code == .success {
            Output.block(Berth.fullMessage(for: error) + "\n")
            return 0
        }
        Output.error(Berth.fullMessage(for: error))
        return 2
    }
    do {
        try LogSetup.bootstrap()
        var runnable = command
        try runnable.run()
        return 0
    } catch let error as ExitCode {
        return error.rawValue
    } catch let error as ExitCodeError {
        Output.error("berth: \(error.message)")
        return error.code
    } catch where Berth.exitCode(for: error) == .success {
        Output.block(Berth.fullMessage(for: error) + "\n")  // `berth` alone, or a group without a subcommand: help
        return 0
    } catch {
        Output.error("berth: \(error)")
        return isBadInput(error) ? 2 : 1
    }
}

/// Each module's errors say whether they are the input's fault (`BadInput`).
func isBadInput(_ error: Error) -> Bool {
    (error as? BadInput)?.isBadInput == true
}

// A closed standard output must not kill the process (SIGPIPE's default): Output sees EPIPE
// instead and exits 0.
signal(SIGPIPE, SIG_IGN)
exit(runBerth())
