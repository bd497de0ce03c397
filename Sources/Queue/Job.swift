import Foundation
import Postgres

/// A row of `berth.jobs`. A claimed job carries what a handler needs: the claim does not
/// fetch the error history, the last error, the output, the unique key or the timestamps
/// other than `runAt` (nil here; `lockedBy` is the claiming worker; `berth jobs show` reads
/// the whole row). Turning them into text cost the server more than claiming the row.
public struct Job: Sendable, Encodable {
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
        state = try JobState(stored: try row.decode(at: 4), operation: "queue_claim")
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
        state = try JobState(stored: try row.decode("state"), operation: "decode_job")
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

    /// The JSON keys are the columns' names (`berth jobs list|show --json`); `args`, `errors` and
    /// `output` are JSON documents. The lease token is left out: it is the fence of the
    /// attempt's writes, and nothing a user does with a job needs it.
    enum CodingKeys: String, CodingKey {
        case id, kind, tenant, args, state, priority, runAt = "run_at", attempt, maxAttempts = "max_attempts", snoozes,
             lockedBy = "locked_by", lockedUntil = "locked_until", cancelRequested = "cancel_requested", errors,
             lastError = "last_error", output, uniqueKey = "unique_key", createdAt = "created_at", updatedAt = "updated_at",
             attemptedAt = "attempted_at", finishedAt = "finished_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(args, forKey: .args)
        try c.encode(state, forKey: .state)
        try c.encode(priority, forKey: .priority)
        try c.encode(runAt, forKey: .runAt)
        try c.encode(attempt, forKey: .attempt)
        try c.encode(maxAttempts, forKey: .maxAttempts)
        try c.encode(snoozes, forKey: .snoozes)
        try c.encode(lockedBy, forKey: .lockedBy)
        try c.encode(lockedUntil, forKey: .lockedUntil)
        try c.encode(cancelRequested, forKey: .cancelRequested)
        try c.encode(errors, forKey: .errors)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(output, forKey: .output)
        try c.encode(uniqueKey, forKey: .uniqueKey)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(attemptedAt, forKey: .attemptedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
    }
}
