import Foundation

/// Waits for a condition by polling it until a deadline: tests never sleep a fixed time to
/// "wait" for something. Every suite waits through these two (`poll` on a thread, and the
/// `async` one, which sleeps with `Task.sleep` and so holds no thread of Swift's cooperative
/// pool). A probe may throw to stop early (the thing waited for can no longer happen).
/// Returns the last value; fails with `message` and that value when time runs out.
@discardableResult
public func poll<T>(timeout: Double = 10, every interval: Double = 0.01, _ message: @autoclosure () -> String,
                    until condition: (T) throws -> Bool, _ probe: () throws -> T) throws -> T {
    let deadline = Deadline(timeout)
    while true {
        let value = try probe()
        if try deadline.reached(condition(value), message(), value) { return value }
        Thread.sleep(forTimeInterval: interval)
    }
}

/// `poll` for async tests.
@discardableResult
public func poll<T>(timeout: Double = 10, every interval: Double = 0.05, _ message: @autoclosure () -> String,
                    until condition: (T) throws -> Bool, _ probe: () throws -> T) async throws -> T {
    let deadline = Deadline(timeout)
    while true {
        let value = try probe()
        if try deadline.reached(condition(value), message(), value) { return value }
        try await Task.sleep(for: .seconds(interval))
    }
}

/// Polls until `probe` returns true.
public func poll(timeout: Double = 10, every interval: Double = 0.01, _ message: @autoclosure () -> String,
                 _ probe: () throws -> Bool) throws {
    try poll(timeout: timeout, every: interval, message(), until: { $0 }, probe)
}

public func poll(timeout: Double = 10, every interval: Double = 0.05, _ message: @autoclosure () -> String,
                 _ probe: () throws -> Bool) async throws {
    try await poll(timeout: timeout, every: interval, message(), until: { $0 }, probe)
}

private struct Deadline {
    let timeout: Double
    let end: Date

    init(_ timeout: Double) {
        self.timeout = timeout
        end = Date().addingTimeInterval(timeout)
    }

    /// True when the condition holds; throws once time is up.
    func reached<T>(_ holds: Bool, _ message: @autoclosure () -> String, _ last: T) throws -> Bool {
        if holds { return true }
        if Date() > end { throw SetupError("timed out after \(timeout)s: \(message()) (last value: \(last))") }
        return false
    }
}
