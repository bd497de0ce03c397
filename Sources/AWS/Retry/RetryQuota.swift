import Foundation

/// The standard-mode retry quota: a bucket of tokens that retries spend and
/// successes refill, so that when AWS is really down the clients stop multiplying
/// the load by their retry count. Shared by all clients of one (account key, region).
public final class RetryQuota: @unchecked Sendable {
    public struct Costs: Sendable, Hashable {
        public var capacity: Int
        public var retryCost: Int
        public var timeoutCost: Int
        public var successRefund: Int
        public init(capacity: Int = 500, retryCost: Int = 5, timeoutCost: Int = 10, successRefund: Int = 1) {
            self.capacity = capacity
            self.retryCost = retryCost
            self.timeoutCost = timeoutCost
            self.successRefund = successRefund
        }
    }

    public let costs: Costs
    private let lock = NSLock()
    private var tokens: Int

    public init(costs: Costs = Costs()) {
        self.costs = costs
        tokens = costs.capacity
    }

    public var available: Int { lock.withLock { tokens } }

    /// Takes the cost of one retry; nil when the bucket cannot pay (then do not retry).
    func acquire(timeout: Bool) -> Int? {
        let cost = timeout ? costs.timeoutCost : costs.retryCost
        return lock.withLock {
            guard tokens >= cost else { return nil }
            tokens -= cost
            return cost
        }
    }

    /// After a successful call: give back what its retries took, or the small
    /// success refund when it needed none.
    func release(spent: Int) {
        lock.withLock { tokens = min(costs.capacity, tokens + (spent > 0 ? spent : costs.successRefund)) }
    }
}
