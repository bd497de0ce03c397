import Foundation
import Postgres

/// The built-in `noop` kind, for smoke tests and benchmarks. Its args may ask it to:
/// - `sleep_ms`: wait that long (interruptible by cancel and shutdown);
/// - `fail`: `"retryable"` or `"permanent"`, on attempts up to `fail_attempts` (default: all);
/// - `snooze_ms`: snooze that long, `snooze_times` times (default 1) before succeeding.
public struct NoopJob: JobHandler {
    public static let kind = "noop"

    public init() {}

    public func run(_ context: JobContext) throws -> JobResult {
        // Benchmarks enqueue `{}` by the hundred thousand: skip the JSON parser for it.
        let args = context.job.args.text == "{}" ? [:] : (try? context.job.args.object()) as? [String: Any] ?? [:]
        let job = context.job
        if let snoozeMs = number(args["snooze_ms"]), Double(job.snoozes) < (number(args["snooze_times"]) ?? 1) {
            return .snooze(seconds: snoozeMs / 1000)
        }
        if let sleepMs = number(args["sleep_ms"]), sleepMs > 0 {
            try context.pause(seconds: sleepMs / 1000)
        }
        try context.checkpoint()
        if let mode = args["fail"] as? String {
            let upTo = number(args["fail_attempts"]) ?? .infinity
            if Double(job.attempt) <= upTo {
                throw JobError("noop asked to fail (\(mode)) on attempt \(job.attempt)", retryable: mode != "permanent")
            }
        }
        return .succeeded(output: JSONText(#"{"ok":true}"#))
    }

    private func number(_ value: Any?) -> Double? {
        if let n = value as? NSNumber { return n.doubleValue }
        if let s = value as? String { return Double(s) }
        return nil
    }
}
