import CoreMetrics
import Foundation
import Queue

/// Records a worker pool's claims, attempts and rescues through swift-metrics, and remembers
/// the producer's last round for `/readyz`.
///
/// Labels are bounded: a job kind this worker has no handler for counts as `other`, and the
/// tenant is a label only when the operator asks for it (`--metrics-tenant-labels`): every
/// tenant would otherwise add a series to each metric, without limit.
public final class QueueMetrics: QueueObserver, @unchecked Sendable {
    /// One set of metrics per label set, made once: recording is then a dictionary lookup.
    final class Series: Sendable {
        let claimed: Counter
        let rescued: Counter
        let pickup: CoreMetrics.Timer
        let run: CoreMetrics.Timer
        let outcomes: [AttemptOutcome: Counter]

        init(_ dimensions: [(String, String)]) {
            claimed = Counter(label: MetricNames.claimed, dimensions: dimensions)
            rescued = Counter(label: MetricNames.rescued, dimensions: dimensions)
            pickup = CoreMetrics.Timer(label: MetricNames.jobPickupSeconds, dimensions: dimensions)
            run = CoreMetrics.Timer(label: MetricNames.jobRunSeconds, dimensions: dimensions)
            var outcomes: [AttemptOutcome: Counter] = [:]
            for outcome in AttemptOutcome.allCases {
                outcomes[outcome] = Counter(label: MetricNames.attempts, dimensions: dimensions + [("outcome", outcome.rawValue)])
            }
            self.outcomes = outcomes
        }
    }

    static let otherKind = "other"
    public let kinds: Set<String>
    public let tenantLabels: Bool
    private let byKind: [String: Series]
    private let claimTimer = CoreMetrics.Timer(label: MetricNames.claimSeconds)
    private let lock = NSLock()
    private var byTenant: [String: Series] = [:]
    private var lastRound: (ok: Bool, at: Double)?

    public init(kinds: Set<String>, tenantLabels: Bool = false) {
        self.kinds = kinds
        self.tenantLabels = tenantLabels
        var byKind: [String: Series] = [:]
        if !tenantLabels {
            for kind in kinds.union([Self.otherKind]) { byKind[kind] = Series([("kind", kind)]) }
        }
        self.byKind = byKind
    }

    /// The label a job kind is recorded under.
    public func kindLabel(_ kind: String) -> String { kinds.contains(kind) ? kind : Self.otherKind }

    private func series(_ job: Job) -> Series {
        let kind = kindLabel(job.kind)
        guard tenantLabels else { return byKind[kind]! }
        let key = kind + "\u{0}" + job.tenant
        return lock.withLock {
            if let series = byTenant[key] { return series }
            let series = Series([("kind", kind), ("tenant", job.tenant)])
            byTenant[key] = series
            return series
        }
    }

    public func claimed(_ jobs: [Job], seconds: Double) {
        producerRound(ok: true)  // a claim that returned is a good round, whatever follows
        claimTimer.recordSeconds(seconds)
        guard !jobs.isEmpty else { return }
        let now = Date()
        for job in jobs {
            let series = series(job)
            series.claimed.increment()
            // From when the job was due (enqueued, or its retry's run_at) to its claim. The
            // worker's clock against the database's: skew between hosts shows up here.
            series.pickup.recordSeconds(max(0, now.timeIntervalSince(job.runAt)))
        }
    }

    public func attemptFinished(_ job: Job, outcome: AttemptOutcome, seconds: Double) {
        let series = series(job)
        series.run.recordSeconds(seconds)
        series.outcomes[outcome]?.increment()
    }

    public func rescued(_ jobs: [JobQueue.Rescued]) {
        for job in jobs {
            let kind = kindLabel(job.kind)
            let dimensions = tenantLabels ? [("kind", kind), ("tenant", job.tenant)] : [("kind", kind)]
            Counter(label: MetricNames.rescued, dimensions: dimensions).increment()
        }
    }

    public func producerRound(ok: Bool) {
        let now = ProcessInfo.processInfo.systemUptime
        lock.withLock { lastRound = (ok, now) }
    }

    /// Whether the producer's last round succeeded, and ended less than `within` seconds ago.
    public func producerHealthy(within: Double) -> (healthy: Bool, reason: String) {
        let now = ProcessInfo.processInfo.systemUptime
        guard let round = lock.withLock({ lastRound }) else { return (false, "the producer has not finished a round yet") }
        if !round.ok { return (false, "the producer's last round failed (database unreachable?)") }
        let age = now - round.at
        if age > within { return (false, String(format: "the producer's last round ended %.1fs ago", age)) }
        return (true, "claiming")
    }
}
