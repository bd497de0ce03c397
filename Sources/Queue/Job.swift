import Foundation
import Postgres

/// A row of `berth.jobs`. A claimed job carries what a handler needs: the claim does not
/// fetch the error history, the last error, the output, the unique key or the timestamps
/// other than `runAt` (nil here; `lockedBy` is the claiming worker; `berth jobs show` reads
/// the whole row). Turning them into text cost the server more than claiming the row.
public struct Job: Sendable {
    public var id: Int64
    public var kind: String
    public var tenant: String
    public var args: JSONText
    public var state: JobState
    public var priority: Int
    public var runAt: Date
    public var attempt: Int
    public var maxAttempts: Int
    public var snoozes: Int
    public var lockedBy: String?
    public var leaseToken: UUID?
    public var lockedUntil: Date?
    public var cancelRequested: Bool
    /// `[{at, attempt, error}]`, oldest first.
    public var errors: JSONText?
    public var lastError: String?
    public var output: JSONText?
    public var uniqueKey: String?
    public var createdAt: Date?
    public var updatedAt: Date?
    public var attemptedAt: Date?
    public var finishedAt: Date?

    /// A row of a claim (`QueueSQL.claimedCTE`'s `returning` list, in that order), read by
    /// position: a claim returns a batch many times a second.
    init(claimed row: Row) throws {
        id = try row.decode(at: 0)
        kind = try row.decode(at: 1)
        tenant = try row.decode(at: 2)
        args = try row.decode(at: 3)
        let stateText: String = try row.decode(at: 4)
        guard let state = JobState(rawValue: stateText) else {
            throw PostgresError(.decoding, operation: "decode_job", message: "unknown job state \(stateText)")
        }
        self.state = state
        priority = try row.decode(at: 5)
        runAt = try row.decode(at: 6)
        attempt = try row.decode(at: 7)
        maxAttempts = try row.decode(at: 8)
        snoozes = try row.decode(at: 9)
        leaseToken = try row.decode(at: 10, as: UUID.self)
        cancelRequested = try row.decode(at: 11)
    }

    init(row: Row) throws {
        id = try row.decode("id")
        kind = try row.decode("kind")
        tenant = try row.decode("tenant")
        args = try row.decode("args")
        let stateText: String = try row.decode("state")
        guard let state = JobState(rawValue: stateText) else {
            throw PostgresError(.decoding, operation: "decode_job", message: "unknown job state \(stateText)")
        }
        self.state = state
        priority = try row.decode("priority")
        runAt = try row.decode("run_at")
        attempt = try row.decode("attempt")
        maxAttempts = try row.decode("max_attempts")
        snoozes = try row.decode("snoozes")
        lockedBy = try row.decodeIfPresent("locked_by", ifMissing: nil)
        leaseToken = try row.decodeIfPresent("lease_token")
        lockedUntil = try row.decodeIfPresent("locked_until", ifMissing: nil)
        cancelRequested = try row.decode("cancel_requested")
        uniqueKey = try row.decodeIfPresent("unique_key", ifMissing: nil)
        attemptedAt = try row.decodeIfPresent("attempted_at", ifMissing: nil)
        errors = try row.decodeIfPresent("errors", ifMissing: nil)
        lastError = try row.decodeIfPresent("last_error", ifMissing: nil)
        output = try row.decodeIfPresent("output", ifMissing: nil)
        createdAt = try row.decodeIfPresent("created_at", ifMissing: nil)
        updatedAt = try row.decodeIfPresent("updated_at", ifMissing: nil)
        finishedAt = try row.decodeIfPresent("finished_at", ifMissing: nil)
    }
}
