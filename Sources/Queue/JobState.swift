/// Where a job is in its life. See docs/queue.md for the state machine.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case queued, running, succeeded, failed, cancelled

    /// Finished jobs never change state again (except by an explicit `retry`).
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}
