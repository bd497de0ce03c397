import CoreMetrics
import Foundation
import Logging
import Queue

/// `berth worker --http`: bootstraps metrics, observes the pool, and serves `/metrics`,
/// `/healthz` and `/readyz`. Without `--http` none of this exists and the pool has no observer.
public enum WorkerMonitoring {
    @discardableResult
    public static func start(pool: WorkerPool, host: String, port: Int, tenantLabels: Bool,
                             logger: Logger) throws -> OpsServer {
        let exporter = MetricsExporter.bootstrap()
        let metrics = QueueMetrics(kinds: Set(pool.kinds), tenantLabels: tenantLabels)
        pool.observer = metrics
        let gauges = DatabaseGauges(database: pool.database, kindLabel: { [metrics] in metrics.kindLabel($0) }, logger: logger)
        let slots = Gauge(label: MetricNames.slots)
        let busy = Gauge(label: MetricNames.busySlots)
        let inUse = Gauge(label: MetricNames.connectionsInUse, dimensions: [("pool", "handlers")])
        let maxConnections = Gauge(label: MetricNames.connectionsMax)
        exporter.addCollector {
            gauges.collect()
            slots.record(pool.config.concurrency)
            busy.record(pool.busySlots)
            inUse.record(pool.handlerConnectionsInUse)
            maxConnections.record(pool.maxConnections)
        }
        // A producer round ends at least once per poll interval, busy or idle.
        let within = max(10, 3 * pool.config.pollInterval)
        return try OpsServer.start(host: host, port: port, exporter: exporter, readiness: {
            if pool.stopRequested { return (false, "the worker is draining") }
            if case .failure(let error) = gauges.ping() { return (false, "the database does not answer: \(error)") }
            let producer = metrics.producerHealthy(within: within)
            return (producer.healthy, producer.reason)
        }, logger: logger)
    }
}
