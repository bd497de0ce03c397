import Foundation

/// Waits for a condition by polling it until a deadline: tests never sleep a fixed time to
/// "wait" for something. Returns the last value; fails with `message` when time runs out.
@discardableResult
public func poll<T>(timeout: Double = 10, every interval: Double = 0.01, _ message: @autoclosure () -> String,
                    until condition: (T) -> Bool, _ probe: () throws -> T) throws -> T {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        let value = try probe()
        if condition(value) { return value }
        if Date() > deadline { throw SetupError("timed out after \(timeout)s: \(message()) (last value: \(value))") }
        Thread.sleep(forTimeInterval: interval)
    }
}

/// Polls until `probe` returns true.
public func poll(timeout: Double = 10, every interval: Double = 0.01, _ message: @autoclosure () -> String,
                 _ probe: () throws -> Bool) throws {
    try poll(timeout: timeout, every: interval, message(), until: { $0 }, probe)
}
