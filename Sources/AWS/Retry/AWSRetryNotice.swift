import Foundation

/// One in-call retry about to happen, for ``AWSClient/Configuration/onRetry``: the failure that
/// caused it and how long the client waits before sending again. The step engine turns these
/// into `retry` events, so a user following a cluster sees a slow AWS at once, not only when
/// the call finally gives up.
public struct AWSRetryNotice: Sendable, CustomStringConvertible {
    public var service: AWSService
    public var operation: String
    public var region: String
    /// The attempt that failed (1 = the first send).
    public var attempt: Int
    /// The attempts the call may make in all.
    public var maxAttempts: Int
    public var error: AWSError
    /// Seconds before the next send.
    public var delay: Double

    /// "retrying ec2:CreateVpc after Timeout (attempt 1 of 3) in 0.4 s".
    public var description: String {
        "retrying \(service.rawValue):\(operation) after \(error.code) (attempt \(attempt) of \(maxAttempts)) in "
            + String(format: "%.1f s", delay)
    }
}
