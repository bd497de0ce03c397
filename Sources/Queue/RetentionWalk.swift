import Foundation
import Postgres

/// One table that the workers' maintenance prunes by age (docs/queue.md, "Retention"): a walk
/// over its primary key, one batch of `batchSize` rows per statement, from where the last
/// batch stopped. Each statement deletes what of its batch is old enough and may go, locks
/// only the rows it deletes (SKIP LOCKED: a row someone holds waits for a later walk) and
/// holds them for that one statement, so nothing waits long on retention. The walk starts over
/// from the lowest id when it reaches rows too young to prune, or the table's end.
///
/// The statement takes `$1` the cursor (the last id looked at), `$2` the batch size, then
/// `parameters`; it takes a transaction-level advisory lock of its own first, so that one
/// process prunes a table at a time (another's statement finds the lock taken and does
/// nothing), and answers one row: `held` (it got the lock), `last_id` and `scanned` (the
/// batch), `deleted`, and `young` (the batch reached rows too young to prune).
public final class RetentionWalk: @unchecked Sendable {
    public let name: String
    let statement: SQL
    let parameters: [any PostgresEncodable]
    public let batchSize: Int
    /// Only the maintenance thread walks: no lock.
    private var cursor: Int64 = 0

    public init(name: String, statement: SQL, parameters: [any PostgresEncodable], batchSize: Int = 1000) {
        self.name = name
        self.statement = statement
        self.parameters = parameters
        self.batchSize = batchSize
    }

    /// What one statement did.
    public struct Batch: Sendable, Equatable {
        /// Another process was pruning this table: nothing was done.
        public var busy: Bool
        public var scanned: Int
        public var deleted: Int
        /// The walk starts over at the next batch.
        public var wrapped: Bool

        public init(busy: Bool, scanned: Int, deleted: Int, wrapped: Bool) {
            self.busy = busy
            self.scanned = scanned
            self.deleted = deleted
            self.wrapped = wrapped
        }
    }

    /// Prunes one batch on `connection` (whose statement timeout bounds it).
    public func pruneBatch(on connection: Connection) throws -> Batch {
        let params: [any PostgresEncodable] = [cursor, batchSize] + parameters
        guard let row = try connection.queryRow(statement, params) else {
            return Batch(busy: true, scanned: 0, deleted: 0, wrapped: false)
        }
        guard try row.decode("held", as: Bool.self) else { return Batch(busy: true, scanned: 0, deleted: 0, wrapped: false) }
        let scanned: Int = try row.decode("scanned")
        let deleted: Int = try row.decode("deleted")
        let young: Bool = try row.decode("young")
        let wrapped = young || scanned < batchSize
        cursor = wrapped ? 0 : try row.decode("last_id")
        return Batch(busy: false, scanned: scanned, deleted: deleted, wrapped: wrapped)
    }

    /// Prunes batches until the walk wraps, another process holds the table, or `budget`
    /// seconds are used; returns the rows deleted.
    public func prune(on connection: Connection, budget: Double) throws -> Int {
        let started = Monotonic.now()
        var deleted = 0
        repeat {
            let batch = try pruneBatch(on: connection)
            deleted += batch.deleted
            if batch.busy || batch.wrapped { break }
        } while Monotonic.now() - started < budget
        return deleted
    }
}

/// How long finished jobs stay in `berth.jobs` (seconds; 0 keeps them forever): succeeded and
/// cancelled ones, and failed ones (kept longer: someone may still look into them).
public struct JobRetention: Sendable, Equatable {
    public var jobs: Double = 7 * 86_400
    public var failedJobs: Double = 30 * 86_400

    public init(jobs: Double = 7 * 86_400, failedJobs: Double = 30 * 86_400) {
        self.jobs = jobs
        self.failedJobs = failedJobs
    }

    public static let keepForever = JobRetention(jobs: 0, failedJobs: 0)

    /// The walk over `berth.jobs`, or nil when both keep forever.
    public func walk(batchSize: Int = 1000) -> RetentionWalk? {
        let shortest = [jobs, failedJobs].filter { $0 > 0 }.min()
        guard let shortest else { return nil }
        return RetentionWalk(name: "jobs", statement: QueueSQL.pruneJobs, parameters: [jobs, failedJobs, shortest], batchSize: batchSize)
    }

    func validate() throws {
        for (value, name) in [(jobs, "job retention"), (failedJobs, "failed-job retention")] where !(value >= 0 && value.isFinite) {
            throw QueueError.invalid("\(name) must be 0 (keep forever) or a duration, got \(value)")
        }
    }
}
