import Foundation
import Postgres
import Queue

/// `sweep.nightly`: the orphan sweep of every tenant (`OrphanSweep`), once a night, when a
/// deployment turns it on (`berth worker --nightly-sweep dry-run|apply`, or `nightly-sweep` in
/// the config file). Each run enqueues the next one; the unique key `sweep.nightly:<day>` lets
/// every worker of a deployment ask for the same night's run at start without doubling it.
public struct SweepJob: JobHandler {
    public static let kind = "sweep.nightly"

    public enum Mode: String, Sendable, CaseIterable {
        case off, dryRun = "dry-run", apply

        public init(parsing text: String) throws {
            guard let mode = Mode(rawValue: text) else {
                throw ProvisioningError.invalid("nightly sweep \(Quoting.quote(text)): use one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self = mode
        }
    }

    /// When the sweep runs: 03:00 UTC, a quiet hour for most deployments.
    public static let hourUTC = 3

    let settings: ProvisioningSettings

    public init(settings: ProvisioningSettings) {
        self.settings = settings
    }

    struct Arguments: Codable { var apply: Bool }

    public func run(_ context: JobContext) throws -> JobResult {
        let args = try JSONDecoder().decode(Arguments.self, from: Data(context.job.args.text.utf8))
        let scopes = try OrphanSweep.run(tenant: nil, region: nil, apply: args.apply, settings: settings) { body in
            try context.withConnection(body)
        }
        let summary: [String: Int] = [
            "scopes": scopes.count, "orphans": scopes.reduce(0) { $0 + $1.orphans.count },
            "deleted": scopes.reduce(0) { $0 + ($1.results?.filter { $0.outcome == .deleted }.count ?? 0) },
            "not_swept": scopes.filter { $0.error != nil }.count,
        ]
        context.logger.info("nightly sweep done", metadata: summary.mapValues { "\($0)" })
        try context.withConnection { connection in
            try Self.enqueueNext(apply: args.apply, after: Date(), connection: connection)
        }
        return .succeeded(output: JSONText(String(decoding: try JSONEncoder().encode(summary), as: UTF8.self)))
    }

    /// Asks for the next night's sweep (run at `hourUTC` after `date`), once per night whoever asks.
    public static func enqueueNext(apply: Bool, after date: Date, connection: Connection) throws {
        let next = nextRun(after: date)
        let day = ISO8601DateFormatter.string(from: next, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        let args = String(decoding: try JSONEncoder().encode(Arguments(apply: apply)), as: UTF8.self)
        try JobQueue(connection).enqueue(.init(kind: kind, args: JSONText(args), priority: 5, runAt: next, maxAttempts: 3,
                                               uniqueKey: "\(kind):\(day)"))
    }

    /// At a worker's start: asks for the next night's sweep in `mode` (a queued night for another
    /// mode is cancelled first), or with `off` cancels a queued night, so turning the sweep off
    /// in the config and restarting the workers stops it. A sweep an operator enqueued by hand
    /// (`berth jobs enqueue sweep.nightly --args '{"apply": false}'`) is left alone.
    public static func schedule(_ mode: Mode, now: Date = Date(), connection: Connection) throws {
        let queue = JobQueue(connection)
        // Only the scheduled nights (their unique key); a run an operator enqueued is left alone.
        for job in try queue.list(state: .queued, kind: kind, limit: 100) where job.uniqueKey?.hasPrefix("\(kind):") == true {
            let apply = (try? JSONDecoder().decode(Arguments.self, from: Data(job.args.text.utf8)))?.apply
            if mode == .off || apply != (mode == .apply) { _ = try queue.cancel(id: job.id) }
        }
        if mode != .off { try enqueueNext(apply: mode == .apply, after: now, connection: connection) }
    }

    /// The first `hourUTC`:00 UTC strictly after `date`.
    public static func nextRun(after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var parts = calendar.dateComponents([.year, .month, .day], from: date)
        parts.hour = hourUTC
        let today = calendar.date(from: parts)!
        return today > date ? today : calendar.date(byAdding: .day, value: 1, to: today)!
    }
}
