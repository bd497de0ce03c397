import Foundation

/// Hands claimed jobs from the producer to the worker threads.
final class JobChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [JobContext] = []
    private var closed = false

    func put(_ item: JobContext) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Blocks until a job is available; nil once the channel is closed.
    func take() -> JobContext? {
        condition.lock(); defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        if closed { return nil }
        return items.removeFirst()
    }

    /// Closes the channel and returns the jobs no worker took.
    func close() -> [JobContext] {
        condition.lock(); defer { condition.unlock() }
        closed = true
        let left = items
        items.removeAll()
        condition.broadcast()
        return left
    }
}
