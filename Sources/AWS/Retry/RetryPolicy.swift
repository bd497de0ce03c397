/// Retries inside one call, for short blips only (AWS SDK "standard" mode).
///
/// Delay before retry `n` (n = 1, 2, …) is `random(0,1) × min(baseDelay × 2^(n-1), maxBackoff)`.
/// With the defaults a call spends at most about three seconds sleeping between attempts, and
/// starts no retry once it has spent `maxElapsed` in all (timeouts included); anything longer
/// is the step engine's business (it requeues the job with its own backoff instead of holding
/// a worker thread).
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total, the first included. 1 disables retries.
    public var maxAttempts: Int
    /// Seconds; the `2^(n-1)` factor is scaled by this (1 s in the AWS SDKs).
    public var baseDelay: Double
    /// Seconds; the cap on one delay.
    public var maxBackoff: Double
    /// Seconds; no retry starts after the call has spent this long. With the default 20 s
    /// request timeout, an attempt that timed out is not retried inside the call: the error
    /// goes up at once, and the step engine retries (and says so).
    public var maxElapsed: Double

    public init(maxAttempts: Int = 3, baseDelay: Double = 1, maxBackoff: Double = 2, maxElapsed: Double = 20) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.maxElapsed = maxElapsed
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// The delay before retry number `retry` (1-based), with the jitter drawn from `random`.
    public func delay(beforeRetry retry: Int, random: Double) -> Double {
        let exponent = min(max(retry - 1, 0), 30)
        return random * min(baseDelay * Double(1 << exponent), maxBackoff)
    }

    public func delay(beforeRetry retry: Int) -> Double {
        delay(beforeRetry: retry, random: Double.random(in: 0..<1))
    }
}
