import Postgres

/// Where a job is in its life. See docs/queue.md for the state machine.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case queued, running, succeeded, failed, cancelled

    /// Finished jobs never change state again (except by an explicit `retry`).
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

extension JobState {
    /// A state read from `berth.jobs`: an unknown one is a decoding error that names it, never
    /// a guess that could run a job twice or drop it.
    init(stored text: String, operation: String) throws {
        guard let state = JobState(rawValue: text) else {
            throw PostgresError(.decoding, operation: operation, message: "unknown job state '\(text)'")
        }
        self = state
    }
}
