import CoreMetrics
import Foundation
import Logging
import Postgres

/// Gauges read from the database at scrape time: jobs by state and kind, the oldest ready
/// job's wait, clusters by state and backend. They describe the whole database, so every
/// worker that serves `/metrics` reports the same values (aggregate them with `max`, not `sum`).
///
/// One connection of its own, opened on first use and again after a failure; a failed read
/// leaves the gauges as they were and counts `berth_scrape_database_errors_total`.
public final class DatabaseGauges: @unchecked Sendable {
    private let database: Database
    private let kindLabel: @Sendable (String) -> String
    private let logger: Logger
    private let lock = NSLock()
    private var connection: Connection?
    /// Label sets set at the last scrape, so that one gone since is set to 0, not left stale.
    private var lastJobs: Set<[String]> = []
    private var lastClusters: Set<[String]> = []
    private let errors = Counter(label: MetricNames.scrapeErrors)

    /// How long a scrape's statement may run.
    static let statementTimeout = 5.0

    public init(database: Database, kindLabel: @escaping @Sendable (String) -> String, logger: Logger) {
        self.database = database
        self.kindLabel = kindLabel
        self.logger = logger
    }

    /// Refreshes the gauges (called by the exporter before each scrape).
    public func collect() {
        lock.withLock {
            do {
                let connection = try open()
                try collectJobs(connection)
                try collectClusters(connection)
            } catch {
                errors.increment()
                logger.warning("metrics: could not read the database gauges", metadata: ["error": "\(error)"])
                if let connection, !connection.isConnected { self.connection = nil }
            }
        }
    }

    /// Whether the database answers (for `/readyz`).
    public func ping() -> Result<Void, Error> {
        lock.withLock {
            Result {
                do {
                    _ = try open().query(MonitoringSQL.ping)
                } catch {
                    connection = nil
                    throw error
                }
            }
        }
    }

    private func open() throws -> Connection {
        if let connection {
            try connection.reconnectIfNeeded()
            return connection
        }
        let opened = try database.connect(applicationName: "berth metrics", statementTimeout: Self.statementTimeout)
        opened.logReconnects(logger)
        connection = opened
        return opened
    }

    private func collectJobs(_ connection: Connection) throws {
        var counts: [[String]: Int64] = [:]
        for row in try connection.query(MonitoringSQL.jobs) {
            let key = [try row.decode("state", as: String.self), kindLabel(try row.decode("kind"))]
            counts[key, default: 0] += try row.decode("n", as: Int64.self)
        }
        for key in lastJobs.subtracting(counts.keys) { counts[key] = 0 }
        for (key, count) in counts {
            Gauge(label: MetricNames.jobs, dimensions: [("state", key[0]), ("kind", key[1])]).record(count)
        }
        lastJobs = Set(counts.filter { $0.value > 0 }.keys)
        let age = try connection.queryRow(MonitoringSQL.oldestReady)?.decode("age", as: Double.self) ?? 0
        Gauge(label: MetricNames.oldestReady).record(age)
    }

    private func collectClusters(_ connection: Connection) throws {
        var counts: [[String]: Int64] = [:]
        for row in try connection.query(MonitoringSQL.clusters) {
            counts[[try row.decode("state"), try row.decode("backend")], default: 0] += try row.decode("n", as: Int64.self)
        }
        for key in lastClusters.subtracting(counts.keys) { counts[key] = 0 }
        for (key, count) in counts {
            Gauge(label: MetricNames.clusters, dimensions: [("state", key[0]), ("backend", key[1])]).record(count)
        }
        lastClusters = Set(counts.filter { $0.value > 0 }.keys)
    }
}
