/// A step failure that may pass (capacity, eventual consistency): the engine says so in a
/// `retry` event and the job is retried with backoff.
struct RetryableStepError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
