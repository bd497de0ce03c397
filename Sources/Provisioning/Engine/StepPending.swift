/// Not a failure yet: AWS is not ready for the step (an id just created is not visible
/// everywhere, a new role is not usable yet, there is no capacity now, a lost create's result
/// may not show in describes yet). The engine snoozes the job, with no attempt used, and runs
/// the step again, backing off, until `deadline` seconds after the step began waiting; then the
/// step fails with `reason`. Steps throw it; `StepDecisions.pending` also reads it from AWS errors.
struct StepPending: Error, CustomStringConvertible {
    /// What the step waits for, as the end of "waiting for …": "vpc-0abc to be visible".
    var reason: String
    /// Seconds from the step's first wait before it fails; nil: the step's own deadline.
    var deadline: Double?
    /// A cause the user should see at every look (a role propagating, no capacity, a lost
    /// answer): written as a `retry` event with this message and data. Nil: one `step.waiting`.
    var retry: StepDecisions.Failure.Event?
    /// The least time until the next look (a lost create waits out the consistency window).
    var atLeast: Double?

    init(_ reason: String, deadline: Double? = nil, retry: StepDecisions.Failure.Event? = nil, atLeast: Double? = nil) {
        self.reason = reason
        self.deadline = deadline
        self.retry = retry
        self.atLeast = atLeast
    }

    var description: String { "waiting for \(reason)" }
}
