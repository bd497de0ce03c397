/// Where a `berth worker` process is in its life. It only moves forward, one way: a stop
/// request leads to `draining` (or straight to `releasing` when the grace period is cut short),
/// `drain()` then moves on to `releasing` and `finishing`, and the process exits.
enum WorkerLifecycle: Int, Comparable, Sendable {
    /// Claiming jobs and running them.
    case running
    /// A stop was requested: nothing more is claimed, and the jobs this process holds get the
    /// grace period to finish.
    case draining
    /// The grace period is over (or a second signal cut it short): every held job not yet
    /// finished is interrupted and released to the queue.
    case releasing
    /// The completer writes what is left and stops; the maintenance thread stops heartbeating.
    case finishing

    static func < (a: WorkerLifecycle, b: WorkerLifecycle) -> Bool { a.rawValue < b.rawValue }
}
