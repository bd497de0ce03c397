import Foundation
@testable import Postgres
@testable import Queue
import Testing

/// `Completion.from`, without a database: every outcome of an attempt and the row change it
/// makes; and a job state the code does not know fails closed.
@Suite struct CompletionTests {
    static let token = UUID()

    static func job(attempt: Int, maxAttempts: Int = 3) throws -> Job {
        let columns = ["id", "kind", "tenant", "args", "state", "priority", "run_at", "attempt", "max_attempts", "snoozes",
                       "lease_token", "cancel_requested"]
        let values: [String?] = ["7", "noop", "acme", "{}", "running", "1", "2024-01-01 00:00:00+00", "\(attempt)", "\(maxAttempts)", "0",
                                 token.uuidString.lowercased(), "f"]
        return try Job(row: Row(columns: ColumnIndex(names: columns), values: values, operation: "test"))
    }

    static func from(_ result: Result<JobResult, Error>, attempt: Int = 1, maxAttempts: Int = 3) throws -> Completion? {
        Completion.from(result: result, job: try job(attempt: attempt, maxAttempts: maxAttempts), token: token,
                        backoff: Backoff(base: 1, cap: 8))
    }

    @Test func successAndSnoozeAndCancel() throws {
        let done = try #require(try Self.from(.success(.succeeded(output: JSONText(#"{"a":1}"#)))))
        #expect(done.state == .succeeded && done.output == JSONText(#"{"a":1}"#) && done.error == nil && done.leaseToken == Self.token)
        // A snooze uses no attempt; a negative delay is now.
        let snoozed = try #require(try Self.from(.success(.snooze(seconds: -5))))
        #expect(snoozed.state == .queued && snoozed.delay == 0 && snoozed.refundAttempt && snoozed.snooze)
        let gaveUp = try #require(try Self.from(.success(.cancelled(reason: "a delete was requested"))))
        #expect(gaveUp.state == .cancelled && gaveUp.error == "cancelled: a delete was requested")
    }

    @Test func interruptions() throws {
        let cancelled = try #require(try Self.from(.failure(JobInterrupted(reason: .cancelled))))
        #expect(cancelled.state == .cancelled && cancelled.error == "cancelled at a checkpoint")
        // Another worker owns the job: nothing may be written.
        #expect(try Self.from(.failure(JobInterrupted(reason: .leaseLost))) == nil)
        let released = try #require(try Self.from(.failure(JobInterrupted(reason: .shutdown))))
        #expect(released.state == .queued && released.refundAttempt && released.delay == 0 && !released.snooze)
    }

    /// A retryable failure goes back with a backoff delay inside attempt N's window; past the
    /// last attempt, or not retryable, it fails and says why.
    @Test func failuresRetryWithBackoffUntilAttemptsRunOut() throws {
        for attempt in 1...2 {
            let retried = try #require(try Self.from(.failure(JobError("AWS said slow down", retryable: true)), attempt: attempt))
            #expect(retried.state == .queued && retried.error == "AWS said slow down" && !retried.refundAttempt)
            #expect(retried.delay > 0 && retried.delay < Backoff(base: 1, cap: 8).window(attempt: attempt))
        }
        let exhausted = try #require(try Self.from(.failure(JobError("AWS said slow down", retryable: true)), attempt: 3))
        #expect(exhausted.state == .failed && exhausted.error == "AWS said slow down (attempts exhausted: 3 of 3)")
        let permanent = try #require(try Self.from(.failure(JobError("no such image", retryable: false)), attempt: 1))
        #expect(permanent.state == .failed && permanent.error == "no such image")
        // An error that does not say is retried.
        struct Unclassified: Error {}
        #expect(try Self.from(.failure(Unclassified()), attempt: 1)?.state == .queued)
    }

    @Test func anUnknownStateFailsClosed() throws {
        #expect(try JobState(stored: "failed", operation: "test") == .failed)
        do {
            _ = try JobState(stored: "sleeping", operation: "queue_rescue")
            Issue.record("decoded")
        } catch let error as PostgresError {
            #expect(error.message == "unknown job state 'sleeping'" && error.operation == "queue_rescue")
        }
    }
}
