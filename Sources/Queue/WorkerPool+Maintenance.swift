import Foundation
import Postgres

extension WorkerPool {
    /// Extends the leases of all of this process's running jobs in one statement, tells
    /// handlers about cancel requests and lost leases, and rescues other processes' expired jobs.
    func maintenanceLoop() {
        var connection: Connection?
        var nextHeartbeat = Date().addingTimeInterval(config.heartbeatInterval)
        var nextRescue = Date()
        while true {
            maintenanceWake.lock()
            while !isMaintenanceStopping() && Date() < min(nextHeartbeat, nextRescue) && !isVacuumDue() {
                _ = maintenanceWake.wait(until: min(nextHeartbeat, nextRescue))
            }
            maintenanceWake.unlock()
            if isMaintenanceStopping() { break }
            // The vacuum has its own connection: it does not wait for this one.
            if isVacuumDue() { startVacuum() }
            do {
                if connection == nil { connection = try Connection(url: databaseURL, applicationName: "berth maintenance") }
                let queue = JobQueue(connection!)
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
                    if !rescued.isEmpty { producerWake.wake() }
                }
            } catch {
                logger.error("maintenance failed; retrying", metadata: ["error": "\(error)"])
                if let connection, !connection.isConnected { try? connection.reconnectIfNeeded() }
                nextHeartbeat = min(nextHeartbeat, Date().addingTimeInterval(min(1, config.heartbeatInterval)))
            }
        }
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
                let connection = try Connection(url: self.databaseURL, applicationName: "berth vacuum")
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

    private func isMaintenanceStopping() -> Bool {
        state.lock(); defer { state.unlock() }
        return maintenanceStopping
    }

    private func heartbeat(_ queue: JobQueue) throws {
        state.lock()
        let held = running.map { (id: $0.key, token: $0.value.leaseToken, context: $0.value) }
        state.unlock()
        guard !held.isEmpty else { return }
        let alive = try queue.heartbeat(held.map { ($0.id, $0.token) }, leaseSeconds: config.lease)
        for item in held {
            guard let cancelRequested = alive[item.id] else {
                // Rescued by someone else, or already written: only a job still running here matters.
                state.lock()
                let stillOurs = running[item.id] === item.context
                state.unlock()
                if stillOurs && !isWritten(item.id) {
                    logger.warning("lease lost; the attempt will stop at its next checkpoint", metadata: ["job": "\(item.id)"])
                    item.context.interrupt(.leaseLost)
                }
                continue
            }
            if cancelRequested { item.context.interrupt(.cancelled) }
        }
    }

    /// A job whose outcome is waiting in the completer is not "lost" when its heartbeat misses.
    private func isWritten(_ id: Int64) -> Bool {
        state.lock(); defer { state.unlock() }
        return beingWritten.contains(id) || pendingCompletions.contains { $0.job.id == id }
    }
}
