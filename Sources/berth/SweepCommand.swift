import ArgumentParser
import Provisioning

/// `berth sweep`: the orphan sweep (docs/operations.md#orphan-sweep). A dry run unless --apply.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Find (and with --apply delete) AWS resources Berth tagged for a tenant whose cluster Berth does not know or has stopped.",
        discussion: """
            Only resources tagged berth:managed=true and berth:tenant=<the tenant's id> are considered, in the tenant's own \
            account (its key, or the managed account), plus task definitions of a Berth family without tags whose cluster \
            is one of the tenant's stopped clusters. Nothing without Berth's tags, and nothing of another tenant, is ever \
            listed or deleted. --apply deletes in dependency order (tasks and instances, then security groups, then task \
            definitions and secrets), writes an event for each, and is safe to run again.
            """)

    @Option(help: "Only this tenant (default: every tenant).") var tenant: String?
    @Option(help: "Only this region (default: every region where the tenant has or had clusters or a network, and its default region).")
    var region: String?
    @Flag(help: "Delete what is found (default: a dry run that only lists).") var apply = false
    @Flag(help: "Print JSON (an array of tenant-and-region scopes).") var json = false
    @OptionGroup var common: JobsCommand.Common

    func run() throws {
        let scopes = try OrphanSweep.run(tenant: tenant, region: region, apply: apply, connection: try common.connect(),
                                         settings: .fromEnvironment())
        if json { Output.json(scopes) } else {
            var rows: [[String]] = []
            for scope in scopes {
                if let error = scope.error { rows.append([scope.tenant, scope.region, "-", "-", "-", "not swept: \(error)"]); continue }
                for (index, orphan) in scope.orphans.enumerated() {
                    let outcome = scope.results.map { $0[index].outcome.rawValue + ($0[index].detail.map { ": " + $0 } ?? "") } ?? "would delete"
                    rows.append([scope.tenant, scope.region, orphan.resource.kind.rawValue, orphan.resource.id, orphan.reason, outcome])
                }
            }
            if rows.isEmpty {
                Output.line("no orphans: nothing Berth-tagged in \(scopes.count) tenant-region scope(s) belongs to an unknown or stopped cluster")
            } else {
                Output.table(["TENANT", "REGION", "KIND", "ID", "WHY", apply ? "OUTCOME" : "DRY RUN"], rows)
                if !apply { Output.line("dry run: nothing was deleted; run again with --apply to delete these") }
            }
        }
        // Exit 1 when a tenant could not be swept or a delete failed (the table says which).
        if scopes.contains(where: { $0.error != nil }) || scopes.contains(where: { $0.results?.contains { $0.outcome == .failed } == true }) {
            throw ExitCodeError(code: 1, message: "the sweep did not complete: see the lines above")
        }
    }
}
