import CoreMetrics
import Foundation

/// What the AWS client records through swift-metrics: a no-op until the process bootstraps
/// a metrics backend (`berth worker --http`). Labels are bounded: services and operations are
/// Berth's own, error codes are AWS's (anything that does not look like one counts as `other`).
enum AWSMetrics {
    /// One attempt of a call: `ok`, `throttled`, `retried` (failed, tried again) or `error`
    /// (failed, given up), with the error code.
    static func attempt(_ service: AWSService, _ operation: String, seconds: Double, failure: AWSError?, retried: Bool) {
        let outcome: String
        if let failure {
            outcome = failure.classification == .throttled ? "throttled" : retried ? "retried" : "error"
        } else {
            outcome = "ok"
        }
        let code = failure.map { boundedCode($0.code) } ?? ""
        Counter(label: "berth_aws_requests_total", dimensions: [
            ("service", service.rawValue), ("operation", operation), ("outcome", outcome), ("code", code),
        ]).increment()
        Timer(label: "berth_aws_request_seconds", dimensions: [("service", service.rawValue), ("operation", operation)])
            .recordSeconds(seconds)
    }

    /// A call waited for the per-account rate limiter.
    static func limiterWaited(_ seconds: Double) {
        guard seconds > 0 else { return }
        Counter(label: "berth_aws_rate_limiter_waits_total").increment()
        FloatingPointCounter(label: "berth_aws_rate_limiter_wait_seconds_total").increment(by: seconds)
    }

    /// A retryable failure was not retried: the retry quota was spent.
    static func quotaExhausted(_ service: AWSService) {
        Counter(label: "berth_aws_retry_quota_exhausted_total", dimensions: [("service", service.rawValue)]).increment()
    }

    static func boundedCode(_ code: String) -> String {
        guard (1...64).contains(code.utf8.count),
              code.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E })
        else { return "other" }
        return code
    }
}
