import CoreMetrics
import Foundation

/// What provisioning records through swift-metrics (a no-op until the process bootstraps a
/// backend). Labels are bounded: step names are the plans' own, backends two, AWS codes as in
/// the AWS client's metrics; no tenant or cluster ids.
enum ProvisioningMetrics {
    /// A step failed (retried or not): by step and AWS error code (`none` for other failures).
    static func stepFailed(step: String, code: String?) {
        Counter(label: "berth_step_failures_total", dimensions: [("step", bounded(step)), ("code", code.map(bounded) ?? "none")])
            .increment()
    }

    /// A cluster became ready: the time from its create request (the cluster row) to now.
    static func clusterReady(backend: String, requestedAt: Date) {
        Timer(label: "berth_cluster_ready_seconds", dimensions: [("backend", bounded(backend))])
            .recordSeconds(max(0, Date().timeIntervalSince(requestedAt)))
    }

    static func bounded(_ label: String) -> String {
        guard (1...64).contains(label.utf8.count),
              label.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F })
        else { return "other" }
        return label
    }
}
