import Foundation

/// The process-wide rate limiter and retry quota of each (access key id, region):
/// every ``AWSClient`` for the same account and region shares them.
final class SharedLimits: @unchecked Sendable {
    let limiter: RateLimiter
    let quota: RetryQuota

    private init(rate: RateLimiter.Rate, quota: RetryQuota.Costs) {
        limiter = RateLimiter(rate: rate)
        self.quota = RetryQuota(costs: quota)
    }

    private struct Key: Hashable {
        let accessKeyId: String
        let region: String
        let rate: RateLimiter.Rate
        let quota: RetryQuota.Costs
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var registry: [Key: SharedLimits] = [:]

    static func shared(accessKeyId: String, region: String, rate: RateLimiter.Rate, quota: RetryQuota.Costs) -> SharedLimits {
        let key = Key(accessKeyId: accessKeyId, region: region, rate: rate, quota: quota)
        return lock.withLock {
            if let existing = registry[key] { return existing }
            let created = SharedLimits(rate: rate, quota: quota)
            registry[key] = created
            return created
        }
    }
}
