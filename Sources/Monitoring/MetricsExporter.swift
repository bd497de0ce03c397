import CoreMetrics
import Foundation
import Prometheus

/// The process's metrics: swift-metrics bootstrapped with swift-prometheus's factory (so the
/// queue, the AWS client and provisioning record through the swift-metrics API, and another
/// backend can be plugged in instead), plus collectors that refresh the gauges read from the
/// database at scrape time.
public final class MetricsExporter: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let lock = NSLock()
    private var collectors: [@Sendable () -> Void] = []

    private init() {}

    /// Bootstraps swift-metrics with this exporter's registry. Once per process (swift-metrics
    /// allows one bootstrap).
    public static func bootstrap() -> MetricsExporter {
        let exporter = MetricsExporter()
        var factory = PrometheusMetricsFactory(registry: exporter.registry)
        factory.defaultDurationHistogramBuckets = MetricBuckets.default
        factory.durationHistogramBuckets = MetricBuckets.byLabel
        MetricsSystem.bootstrap(factory)
        return exporter
    }

    /// Adds work done before each scrape (setting gauges from the database).
    public func addCollector(_ collect: @escaping @Sendable () -> Void) {
        lock.withLock { collectors.append(collect) }
    }

    /// Runs the collectors, then renders every metric in Prometheus's text format. Blocks
    /// while collectors read the database: call it off the event loop. Scrapes run one at a time.
    public func scrape() -> [UInt8] {
        lock.withLock {
            for collect in collectors { collect() }
            return registry.emitToBuffer()
        }
    }
}

/// Histogram buckets (seconds) per metric: each spans the range its metric lives in.
enum MetricBuckets {
    static func seconds(_ values: [Double]) -> [Duration] {
        values.map { .nanoseconds(Int64(($0 * 1e9).rounded())) }
    }

    static let `default` = seconds([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    static let byLabel: [String: [Duration]] = [
        MetricNames.claimSeconds: seconds([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]),
        MetricNames.jobRunSeconds: seconds([0.001, 0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900]),
        MetricNames.jobPickupSeconds: seconds([0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600]),
        "berth_aws_request_seconds": seconds([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
        "berth_cluster_ready_seconds": seconds([10, 30, 60, 120, 180, 300, 600, 1200, 1800, 3600]),
    ]
}

/// The names of the metrics this module records (the AWS and provisioning ones are named
/// where they are recorded). docs/operations.md lists them all.
enum MetricNames {
    static let jobs = "berth_jobs"
    static let oldestReady = "berth_queue_oldest_ready_seconds"
    static let clusters = "berth_clusters"
    static let claimed = "berth_jobs_claimed_total"
    static let attempts = "berth_job_attempts_total"
    static let rescued = "berth_jobs_rescued_total"
    static let claimSeconds = "berth_claim_seconds"
    static let jobRunSeconds = "berth_job_run_seconds"
    static let jobPickupSeconds = "berth_job_pickup_seconds"
    static let slots = "berth_worker_slots"
    static let busySlots = "berth_worker_slots_busy"
    static let connectionsInUse = "berth_db_connections_in_use"
    static let connectionsMax = "berth_db_connections_max"
    static let scrapeErrors = "berth_scrape_database_errors_total"
}
