import ArgumentParser
import Provisioning

/// `berth usage`: what tenants used per UTC day (berth.usage_daily, docs/tenants.md).
struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Usage per tenant and UTC day: cluster-hours, worker vCPU-, memory GiB- and GPU-hours, by backend and spot.",
        discussion: "Days are UTC; --since and --until are both included. A cluster still running counts up to now. Hours have 6 decimals.")

    @Option(help: "Only this tenant.")
    var tenant: String?

    @Option(help: ArgumentHelp("First day (YYYY-MM-DD, UTC).", valueName: "date"))
    var since: String?

    @Option(help: ArgumentHelp("Last day, included (YYYY-MM-DD, UTC).", valueName: "date"))
    var until: String?

    @Flag(help: "Print JSON (an array of rows).") var json = false
    @Flag(help: "Print CSV with a header line.") var csv = false
    @OptionGroup var common: JobsCommand.Common

    func validate() throws {
        if json && csv { throw ValidationError("give at most one of --json and --csv") }
    }

    func run() throws {
        let period = try UsagePeriod(since: since, until: until)
        let rows = try UsageStore(try common.connect()).daily(tenant: tenant, period: period)
        if json {
            Output.json(rows)
        } else if csv {
            Output.block(([UsageDay.columns] + rows.map(\.cells)).map { $0.map(Self.csvField).joined(separator: ",") + "\n" }.joined())
        } else {
            Output.table(["DAY", "TENANT", "BACKEND", "SPOT", "CLUSTERS", "CLUSTER-H", "VCPU-H", "MEM-GIB-H", "GPU-H"],
                         rows.map { row in row.cells.map { cell in cell.isEmpty ? "?" : cell } })
        }
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
