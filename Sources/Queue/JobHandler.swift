import Postgres

/// The code that runs jobs of one kind. It is called on a dedicated worker thread and may
/// block (on AWS, on its database connection); it should call `context.checkpoint()` between
/// steps so cancellation, a lost lease and shutdown take effect promptly.
public protocol JobHandler: Sendable {
    func run(_ context: JobContext) throws -> JobResult
}

/// How an attempt ended, when it did not throw.
public enum JobResult: Sendable {
    /// Done; `output` is stored on the job.
    case succeeded(output: JSONText? = nil)
    /// "Not yet, look again in `seconds`": back to the queue without using an attempt.
    case snooze(seconds: Double)
    /// The job gave up on purpose (e.g. it saw a cancel request).
    case cancelled(reason: String)
}

/// An error that says whether trying again may help. Errors that do not conform are retried.
public protocol ClassifiedError: Error {
    var isRetryable: Bool { get }
}

/// A plain job failure with a message and whether it is worth retrying.
public struct JobError: ClassifiedError, CustomStringConvertible {
    public var message: String
    public var isRetryable: Bool

    public init(_ message: String, retryable: Bool) {
        self.message = message
        self.isRetryable = retryable
    }

    public var description: String { message }
}

/// Thrown by `JobContext.checkpoint()` when the attempt must stop.
public struct JobInterrupted: Error, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// Someone cancelled the job.
        case cancelled
        /// The job's lease was lost (rescued after missed heartbeats): another worker owns it now.
        case leaseLost = "lease lost"
        /// The worker process is shutting down; the job goes back to the queue.
        case shutdown
    }

    public var reason: Reason
    public init(reason: Reason) { self.reason = reason }
    public var description: String { "job interrupted: \(reason.rawValue)" }
}
