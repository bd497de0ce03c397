import ArgumentParser
import Foundation
import HTTPServer
import Logging
import Monitoring
import Postgres
import Provisioning
import Queue

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run jobs until SIGTERM or SIGINT, then drain gracefully and exit 0.",
        discussion: "Durations take ms, s, m or h suffixes (bare numbers are seconds). Connections per process: 4 + --handler-connections (one only while a vacuum runs), one more with a separate --listen-database-url (LISTEN), one more with --http (metrics); see docs/deployment.md.")

    @Option(parsing: .unconditional, help: "Worker threads: jobs run at once in this process (1-1024).")
    var concurrency = 8

    @Option(parsing: .unconditional, help: "Jobs claimed ahead of busy workers during a backlog of short jobs (0-4096; default twice --concurrency; 0: only for free workers).")
    var prefetch: Int?

    @Option(parsing: .unconditional, help: "Database connections lent to job handlers (1-256).")
    var handlerConnections = 4

    @Option(parsing: .unconditional, help: "Lease: how long a job stays claimed without a heartbeat.")
    var lease = DurationArgument(seconds: 30)

    @Option(parsing: .unconditional, help: "How often running jobs' leases are extended.")
    var heartbeat = DurationArgument(seconds: 10)

    @Option(parsing: .unconditional, help: "How often expired leases are rescued.")
    var rescueInterval = DurationArgument(seconds: 5)

    @Option(parsing: .unconditional, help: "Fallback poll when no NOTIFY arrives.")
    var pollInterval = DurationArgument(seconds: 1)

    @Option(parsing: .unconditional, help: "On SIGTERM, how long running jobs may finish before they are released.")
    var gracePeriod = DurationArgument(seconds: 30)

    @Option(parsing: .unconditional, help: "Retry backoff base (attempt n waits up to base * 2^(n-1), full jitter).")
    var backoffBase = DurationArgument(seconds: 1)

    @Option(parsing: .unconditional, help: "Retry backoff cap.")
    var backoffCap = DurationArgument(seconds: 600)

    @Option(parsing: .unconditional, help: "Statement timeout for claims, completions, heartbeats and rescues (at most half the lease).")
    var statementTimeout = DurationArgument(seconds: 10)

    @Option(parsing: .unconditional, help: "Vacuum berth.jobs after this many jobs claimed by this process (0: never).")
    var vacuumEvery = 20_000

    @Option(parsing: .unconditional, help: "Prune succeeded and cancelled jobs this long after they finished (0: keep forever; default: the config's retention.jobs, else 7d).")
    var retainJobs: DurationArgument?

    @Option(parsing: .unconditional, help: "Prune failed jobs this long after they finished (0: keep forever; default: retention.failed-jobs, else 30d).")
    var retainFailedJobs: DurationArgument?

    @Option(parsing: .unconditional, help: "Prune events this long after they were written (0: keep forever; default: retention.events, else 90d).")
    var retainEvents: DurationArgument?

    @Option(parsing: .unconditional, help: "Each cluster's newest events kept whatever their age (default: retention.events-kept-per-cluster, else 20).")
    var keepClusterEvents: Int?

    @Option(parsing: .unconditional, help: "How often each tenant and region's reconcile compares its clusters with AWS (default: BERTH_RECONCILE_INTERVAL, else 30s).")
    var reconcileInterval: DurationArgument?
    @Option(help: "The nightly orphan sweep of every tenant (03:00 UTC): off, dry-run or apply (default: the config's nightly-sweep, else off).")
    var nightlySweep: String?

    @Option(help: "Name shown in locked_by (default host:pid:random).")
    var name: String?

    @OptionGroup var databaseOptions: DatabaseOptions

    @Option(help: ArgumentHelp("Serve /metrics, /healthz and /readyz on HOST:PORT (e.g. 127.0.0.1:9464; off by default).", valueName: "host:port"))
    var http: String?

    @Flag(help: "Label job metrics with the tenant too (one series per tenant: see docs/operations.md).")
    var metricsTenantLabels = false

    func run() throws {
        var config = WorkerConfig()
        config.concurrency = concurrency
        config.prefetch = prefetch
        config.handlerConnections = handlerConnections
        config.lease = lease.seconds
        config.heartbeatInterval = heartbeat.seconds
        config.rescueInterval = rescueInterval.seconds
        config.pollInterval = pollInterval.seconds
        config.gracePeriod = gracePeriod.seconds
        config.vacuumEvery = vacuumEvery
        config.statementTimeout = statementTimeout.seconds
        config.backoff = Backoff(base: backoffBase.seconds, cap: backoffCap.seconds)
        if let name { config.workerName = name }
        let loaded = try CLIConfig.load()
        let sweep: SweepJob.Mode
        do { sweep = try SweepJob.Mode(parsing: nightlySweep ?? loaded.nightlySweep ?? "off") } catch { throw UsageError("--nightly-sweep: \(error)") }
        let file = loaded.retention
        config.retention = JobRetention(jobs: retainJobs?.seconds ?? file.jobs ?? JobRetention().jobs,
                                        failedJobs: retainFailedJobs?.seconds ?? file.failedJobs ?? JobRetention().failedJobs)
        let events = EventRetention(seconds: retainEvents?.seconds ?? file.events ?? EventRetention().seconds,
                                    keptPerCluster: keepClusterEvents ?? file.eventsKeptPerCluster ?? EventRetention().keptPerCluster)
        if events.keptPerCluster < 0 { throw UsageError("--keep-cluster-events must be 0 or more, got \(events.keptPerCluster)") }
        do { try config.validate() } catch { throw UsageError(String(describing: error)) }
        let httpAddress = try http.map(ListenAddress.option)
        if metricsTenantLabels && httpAddress == nil { throw UsageError("--metrics-tenant-labels needs --http HOST:PORT") }

        let signals = SignalWatcher(signals: [SIGTERM, SIGINT])
        let database = try databaseOptions.database(needsDirect: true)
        let logger = Logger(label: "berth.worker")
        var settings = ProvisioningSettings.fromEnvironment()
        if let reconcileInterval {
            guard reconcileInterval.seconds > 0 else { throw UsageError("--reconcile-interval must be more than 0, got \(reconcileInterval.seconds)s") }
            settings.reconcileInterval = reconcileInterval.seconds
        }
        warnAboutMasterKeys(settings, database: database, logger: logger)
        scheduleSweep(sweep, database: database, logger: logger)
        let pool = try WorkerPool(config: config, database: database, handlers: JobKinds.all(settings: settings), logger: logger)
        pool.retentionWalks = [events.walk()].compactMap { $0 }
        if let httpAddress {
            try WorkerMonitoring.start(pool: pool, host: httpAddress.host, port: httpAddress.port,
                                       tenantLabels: metricsTenantLabels, logger: logger)
        }
        signals.start { count in pool.requestStop(immediate: count > 1) }
        pool.run()
    }

    /// Asks for (or, when off, withdraws) the nightly sweep job. Best effort: a database that is
    /// not up yet is the pool's to wait for, and the next worker to start asks again.
    private func scheduleSweep(_ mode: SweepJob.Mode, database: Database, logger: Logger) {
        do {
            try SweepJob.schedule(mode, connection: try database.connect(applicationName: "berth worker"))
            if mode != .off { logger.info("nightly orphan sweep scheduled", metadata: ["mode": "\(mode.rawValue)", "at": "\(SweepJob.hourUTC):00 UTC"]) }
        } catch {
            logger.warning("could not schedule the nightly sweep: \(error)")
        }
    }

    /// A worker without the master key some tenants' secrets are sealed under runs, but says so
    /// at start (those jobs wait for a worker that has it). Best effort: a database that is
    /// not up yet is the pool's to wait for.
    private func warnAboutMasterKeys(_ settings: ProvisioningSettings, database: Database, logger: Logger) {
        do {
            let connection = try database.connect(applicationName: "berth worker")
            for warning in try settings.masterKeyWarnings(store: TenantStore(connection)) { logger.warning("\(warning)") }
        } catch {
            if settings.masterKeys == nil { logger.warning("\(settings.masterKeyProblem ?? "BERTH_MASTER_KEY is not set"): this worker cannot open own-account tenants' AWS keys") }
            logger.warning("could not check the master keys against the database: \(error)")
        }
    }
}
