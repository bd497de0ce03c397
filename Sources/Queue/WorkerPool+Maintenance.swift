import Foundation
import Postgres

extension WorkerPool {
    /// Extends the leases of all of this process's running jobs in one statement, tells
    /// handlers about cancel requests and lost leases, rescues other processes' expired jobs,
    /// and prunes finished jobs and other tables' old rows (retention).
    func maintenanceLoop(_ connection: Connection) {
        let queue = JobQueue(connection)
        let walks = [config.retention.walk()].compactMap { $0 } + retentionWalks
        var nextHeartbeat = Date().addingTimeInterval(config.heartbeatInterval)
        var nextRescue = Date()
        while true {
            maintenanceWake.lock()
            while !isFinishing() && Date() < min(nextHeartbeat, nextRescue) && !isVacuumDue() && !hasCancelChecks() {
                _ = maintenanceWake.wait(until: min(nextHeartbeat, nextRescue))
            }
            maintenanceWake.unlock()
            if isFinishing() { break }
            // The vacuum has its own connection: it does not wait for this one.
            if isVacuumDue() { startVacuum() }
            do {
                try checkCancels(queue)
                if Date() >= nextHeartbeat {
                    nextHeartbeat = Date().addingTimeInterval(config.heartbeatInterval)
                    try heartbeat(queue)
                }
                if Date() >= nextRescue {
                    nextRescue = Date().addingTimeInterval(config.rescueInterval)
                    let rescued = try queue.rescue()
                    if !rescued.isEmpty { observer?.rescued(rescued) }
                    for job in rescued {
                        logger.warning("job rescued: lease expired", metadata: [
                            "job": "\(job.id)", "kind": "\(job.kind)", "tenant": "\(job.tenant)",
                            "attempt": "\(job.attempt)", "state": "\(job.state.rawValue)",
                        ])
                    }
                    if !rescued.isEmpty { requestClaim() }
                    let capped = try queue.capsExist()
                    state.lock(); capsExist = capped; state.unlock()
                    prune(walks, connection)
                }
                setMaintenanceFailing(false)
            } catch {
                setMaintenanceFailing(true)
                logger.error("maintenance failed; retrying", metadata: ["error": "\(error)"])
                nextHeartbeat = min(nextHeartbeat, Date().addingTimeInterval(min(1, config.heartbeatInterval)))
            }
        }
    }

    /// Retention, once per rescue round: each table's walk for its share of the budget. A
    /// failure (a statement timeout on a busy server) is logged and tried again next round;
    /// heartbeats and rescues do not wait on it.
    private func prune(_ walks: [RetentionWalk], _ connection: Connection) {
        guard !walks.isEmpty, config.retentionBudget > 0 else { return }
        for walk in walks {
            do {
                let deleted = try walk.prune(on: connection, budget: config.retentionBudget / Double(walks.count))
                if deleted > 0 { logger.debug("retention pruned rows", metadata: ["table": "\(walk.name)", "rows": "\(deleted)"]) }
            } catch {
                logger.warning("retention failed; trying again next round", metadata: ["table": "\(walk.name)", "error": "\(error)"])
            }
        }
    }

    private func setMaintenanceFailing(_ failing: Bool) {
        state.lock()
        let changed = maintenanceFailing != failing
        maintenanceFailing = failing
        state.unlock()
        if changed && !failing { requestClaim() }
    }

    private func hasCancelChecks() -> Bool {
        state.lock(); defer { state.unlock() }
        return !cancelChecks.isEmpty
    }

    /// Interrupts the jobs named by cancel notifications whose cancel the database confirms for
    /// the attempt this process runs (by lease token). A spoofed notification costs one read.
    private func checkCancels(_ queue: JobQueue) throws {
        state.lock()
        let targets = cancelChecks.compactMap { running[$0] }
        cancelChecks.removeAll()
        state.unlock()
        guard !targets.isEmpty else { return }
        let requested = try queue.cancelRequested(targets.map { ($0.job.id, $0.leaseToken) })
        for context in targets where requested.contains(context.job.id) { cancel(context) }
    }

    private func isVacuumDue() -> Bool {
        state.lock(); defer { state.unlock() }
        return vacuumWanted
    }

    /// Vacuums `berth.jobs` on a thread and connection of its own: on a big table a vacuum can
    /// take longer than a lease, and heartbeats must not wait for it. If another process is
    /// vacuuming at that moment, that vacuum counts.
    private func startVacuum() {
        state.lock()
        vacuumRunning = true
        claimedSinceVacuum = 0
        state.unlock()
        spawnThread("berth-vacuum") {
            let started = Date()
            let outcome = Swift.Result { () throws -> Bool in
                // Direct: the vacuum lock is a session's, and a pooler in transaction mode would
                // run the lock, the vacuum and the unlock on three different server sessions.
                let connection = try self.database.connectDirect(applicationName: "berth vacuum",
                                                                 statementTimeout: WorkerPool.vacuumStatementTimeout)
                return try JobQueue(connection).vacuum()
            }
            switch outcome {
            case .success(let ran):
                self.logger.debug("vacuum of berth.jobs", metadata: [
                    "ran": "\(ran)", "seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))",
                ])
            case .failure(let error):
                self.logger.warning("vacuum of berth.jobs failed", metadata: ["error": "\(error)"])
            }
            self.state.lock()
            self.vacuumRunning = false
            self.state.unlock()
        }
    }

    /// A vacuum of a big table may take minutes; it runs on a thread nothing waits for.
    static let vacuumStatementTimeout = 600.0

    private func heartbeat(_ queue: JobQueue) throws {
        let now = Monotonic.now()
        state.lock()
        var held: [(id: Int64, token: UUID, context: JobContext)] = []
        var lettingGo: [Int64] = []
        for (id, context) in running {
            // An outcome that has waited a lease to be written: stop holding the job, so its
            // lease lapses and another process rescues it (this one may not write again soon).
            if let since = context.outcomeSubmittedAt, now - since > config.lease {
                lettingGo.append(id)
                continue
            }
            held.append((id, context.leaseToken, context))
        }
        state.unlock()
        if !lettingGo.isEmpty {
            logger.warning("outcomes unwritten for longer than a lease: letting their leases lapse", metadata: [
                "jobs": "\(lettingGo.sorted().map(String.init).joined(separator: ","))",
            ])
        }
        guard !held.isEmpty else { return }
        let sent = Monotonic.now()
        let alive = try queue.heartbeat(held.map { ($0.id, $0.token) }, leaseSeconds: config.lease)
        for item in held {
            guard let cancelRequested = alive[item.id] else {
                // Rescued by someone else, or already written: only a job still running here matters.
                // One whose outcome is waiting to be written is not "lost" when its heartbeat misses.
                state.lock()
                let stillRunning = running[item.id] === item.context && item.context.outcomeSubmittedAt == nil
                state.unlock()
                if stillRunning {
                    logger.warning("lease lost; the attempt will stop at its next checkpoint", metadata: ["job": "\(item.id)"])
                    item.context.interrupt(.leaseLost)
                }
                continue
            }
            item.context.leaseRenewed(sentAt: sent, lease: config.lease)
            if cancelRequested { cancel(item.context) }
        }
    }
}
