import Foundation

/// Hands claimed jobs from the producer to the worker threads.
///
/// It wakes one idle thread at a time: a thread that takes a job and sees more waiting wakes
/// the next one before it runs its own. Jobs that take microseconds are mostly run by the
/// threads already awake, instead of every job costing a thread wake-up (a context switch on
/// a machine whose cores the database needs); a batch of long jobs still spreads over the
/// threads, each starting one wake-up after the one before.
final class JobChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [JobContext] = []
    private var closed = false
    /// Threads blocked in `take()`.
    private var waiting = 0
    /// A waiting thread was signalled and has not run yet: no other needs waking meanwhile.
    private var wakePending = false

    func put(_ batch: [JobContext]) {
        guard !batch.isEmpty else { return }
        condition.lock()
        items.append(contentsOf: batch)
        wakeOneLocked()
        condition.unlock()
    }

    /// Blocks until a job is available; nil once the channel is closed.
    func take() -> JobContext? {
        condition.lock(); defer { condition.unlock() }
        while items.isEmpty && !closed {
            waiting += 1
            condition.wait()
            waiting -= 1
            // Whether this thread was the one signalled or woke by itself, the next put or take
            // may signal again: an extra wake-up costs a little, a lost one would strand a job.
            wakePending = false
        }
        if closed { return nil }
        let item = items.removeFirst()
        wakeOneLocked()
        return item
    }

    private func wakeOneLocked() {
        guard !items.isEmpty, waiting > 0, !wakePending else { return }
        wakePending = true
        condition.signal()
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
