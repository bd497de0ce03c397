import Foundation

/// What a worker process tells an observer (the metrics exporter) about its work, at a few
/// points: after each claim, when an attempt ends, after a rescue, and after each round of
/// the producer. The pool holds no observer unless one is set: then each point costs a nil
/// check. Calls come from the pool's threads and must not block.
public protocol QueueObserver: AnyObject, Sendable {
    /// After each claim statement: the jobs it claimed (possibly none) and its round trip.
    func claimed(_ jobs: [Job], seconds: Double)
    /// An attempt ended on a worker thread: how, and how long the handler ran.
    func attemptFinished(_ job: Job, outcome: AttemptOutcome, seconds: Double)
    /// The rescuer took jobs back whose leases had expired.
    func rescued(_ jobs: [JobQueue.Rescued])
    /// The producer finished a round (claimed or waited for work), or failed one.
    func producerRound(ok: Bool)
}

/// How an attempt ended, as the worker thread saw it (before the completer writes it).
public enum AttemptOutcome: String, CaseIterable, Sendable {
    case succeeded, failed, retried, snoozed, cancelled
    /// Handed back without using an attempt (the worker is shutting down).
    case released
    /// The lease was lost during the attempt: nothing is written.
    case abandoned

    init(_ completion: Completion?) {
        guard let completion else { self = .abandoned; return }
        switch (completion.state, completion.snooze, completion.refundAttempt) {
        case (.succeeded, _, _): self = .succeeded
        case (.failed, _, _): self = .failed
        case (.cancelled, _, _): self = .cancelled
        case (_, true, _): self = .snoozed
        case (_, false, true): self = .released
        default: self = .retried
        }
    }
}
