import Foundation

/// A token bucket per (account key, region): callers block until a request may go.
///
/// Many worker threads talking to one account would otherwise trip AWS's
/// per-account API throttling all at once; pacing them here is cheaper than
/// retrying their `RequestLimitExceeded`s.
public final class RateLimiter: @unchecked Sendable {
    public struct Rate: Sendable, Hashable {
        /// Sustained requests per second.
        public var perSecond: Double
        /// Requests that may go at once after a quiet period.
        public var burst: Double
        public init(perSecond: Double = 20, burst: Double = 40) {
            self.perSecond = perSecond
            self.burst = burst
        }
        public static let unlimited = Rate(perSecond: .infinity, burst: .infinity)
    }

    public let rate: Rate
    private let lock = NSLock()
    private var tokens: Double
    private var last: TimeInterval

    public init(rate: Rate) {
        self.rate = rate
        tokens = rate.burst
        last = ProcessInfo.processInfo.systemUptime
    }

    /// Blocks the calling (worker) thread until a token is free; returns the seconds waited.
    @discardableResult
    public func acquire() -> Double {
        guard rate.perSecond.isFinite else { return 0 }
        let wait: Double = lock.withLock {
            let now = ProcessInfo.processInfo.systemUptime
            tokens = min(rate.burst, tokens + (now - last) * rate.perSecond)
            last = now
            // Take the token now (possibly going negative) so waiters queue fairly.
            tokens -= 1
            return tokens >= 0 ? 0 : -tokens / rate.perSecond
        }
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        return wait
    }
}
