import Foundation
import Postgres

/// The outcome of one attempt, as written back to `berth.jobs` (in batches, fenced on the
/// lease token).
struct Completion: Sendable {
    var job: Job
    var leaseToken: UUID
    var state: JobState
    var delay: Double = 0
    var error: String? = nil
    var refundAttempt = false
    var snooze = false
    var output: JSONText? = nil
    /// When (monotonic) the worker handed it over to be written.
    var submittedAt = 0.0

    /// Maps what the handler returned or threw to the row change.
    static func from(result: Result<JobResult, Error>, job: Job, token: UUID, backoff: Backoff) -> Completion? {
        switch result {
        case .success(.succeeded(let output)):
            return Completion(job: job, leaseToken: token, state: .succeeded, output: output)
        case .success(.snooze(let seconds)):
            return Completion(job: job, leaseToken: token, state: .queued, delay: max(0, seconds), refundAttempt: true, snooze: true)
        case .success(.cancelled(let reason)):
            return Completion(job: job, leaseToken: token, state: .cancelled, error: "cancelled: \(reason)")
        case .failure(let error as JobInterrupted):
            switch error.reason {
            case .cancelled:
                return Completion(job: job, leaseToken: token, state: .cancelled, error: "cancelled at a checkpoint")
            case .leaseLost:
                return nil  // another worker owns the job now; nothing may be written
            case .shutdown:
                return release(job: job, token: token)
            }
        case .failure(let error):
            let retryable = (error as? ClassifiedError)?.isRetryable ?? true
            let message = String(describing: error)
            if retryable && job.attempt < job.maxAttempts {
                return Completion(job: job, leaseToken: token, state: .queued,
                                  delay: backoff.delay(attempt: job.attempt), error: message)
            }
            let why = retryable ? message + " (attempts exhausted: \(job.attempt) of \(job.maxAttempts))" : message
            return Completion(job: job, leaseToken: token, state: .failed, error: why)
        }
    }

    /// A batch as the completion statements bind it: eight arrays, one element per outcome,
    /// in id order. Every statement that updates a process's running jobs (completions,
    /// heartbeats) takes their row locks in id order, so two of them never deadlock.
    static func binds(_ unordered: [Completion]) -> [any PostgresEncodable] {
        let batch = unordered.sorted { $0.job.id < $1.job.id }
        return [batch.map { $0.job.id }, batch.map { $0.leaseToken }, batch.map { $0.state.rawValue },
         batch.map { Int(($0.delay * 1000).rounded()) }, batch.map { $0.error }, batch.map { $0.refundAttempt },
         batch.map { $0.snooze }, batch.map { $0.output }]
    }

    /// Back to the queue at once without using an attempt: the worker is going away.
    static func release(job: Job, token: UUID) -> Completion {
        Completion(job: job, leaseToken: token, state: .queued, error: "released: worker shutting down", refundAttempt: true)
    }
}
