import Foundation

/// Capped exponential backoff with full jitter (the "Full Jitter" of AWS's architecture blog):
///
///     delay(attempt) = random(0, 1) × min(cap, base × 2^(attempt − 1))
///
/// Full jitter spreads retries of many jobs that failed together (an AWS outage, a throttling
/// burst) over the whole window instead of bunching them at its end. Defaults: base 1 s,
/// cap 10 min, so attempt 1 waits up to 1 s, attempt 5 up to 16 s, attempt 10 and later up to
/// 10 min. `floor` keeps a retry from coming back within the same millisecond.
public struct Backoff: Sendable, Equatable {
    public var base: Double
    public var cap: Double
    public var floor: Double

    public init(base: Double = 1, cap: Double = 600, floor: Double = 0.001) {
        self.base = base
        self.cap = cap
        self.floor = floor
    }

    /// The upper bound of the jitter window for `attempt` (1-based).
    public func window(attempt: Int) -> Double {
        let exponent = Double(max(0, min(attempt - 1, 62)))
        return min(cap, base * pow(2, exponent))
    }

    /// The delay in seconds before retrying after failed attempt `attempt`.
    public func delay(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Double {
        max(floor, random * window(attempt: attempt))
    }
}
