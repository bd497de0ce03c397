import Foundation
import Postgres

extension WorkerPool {
    /// The connections of the process's own threads, opened before anything is claimed.
    struct Connections {
        let producer: Connection
        /// The producer's LISTEN connection, direct to PostgreSQL, when its claims go through a
        /// pooler in transaction mode (or a listen URL of its own is given); nil: the producer
        /// listens on its own connection.
        let listener: Connection?
        let completer: Connection
        let maintenance: Connection
    }

    /// Opens every connection the process needs before it claims anything: the producer's (and
    /// its listener's, see `Connections.listener`), the completer's, the maintenance thread's,
    /// and one handler connection (kept in the pool).
    /// All or none: a process that held some while waiting for the rest would take connections
    /// others need to finish their jobs, and with many processes against a small
    /// `max_connections` every one of them could end up claiming jobs it can never complete.
    /// Retries use full jitter, so processes that collided do not try again in step. Nil when
    /// asked to stop first.
    func acquireConnections() -> Connections? {
        var attempt = 0
        while !isStopping() {
            do {
                let connections = Connections(producer: try openConnection("producer"),
                                              listener: database.statementsCanListen ? nil : try openListener(),
                                              completer: try openConnection("completer"), maintenance: try openConnection("maintenance"))
                try handlerPool.reserve(1)
                if attempt > 0 { logger.info("database connections open; claiming", metadata: ["attempts": "\(attempt + 1)"]) }
                return connections
            } catch {
                attempt += 1
                let delay = WorkerPool.reconnectBackoff.delay(attempt: attempt)
                logger.warning("cannot open the database connections this process needs; holding none and retrying", metadata: [
                    "error": "\(error)", "retry_in_seconds": "\(String(format: "%.3f", delay))",
                ])
                pause(delay)
            }
        }
        return nil
    }

    /// A connection for one of the queue's threads: its statements run with the queue's
    /// statement timeout, and its commits are durable even where the server's default says
    /// otherwise (a claim must be on disk before its handler starts; see docs/queue.md).
    func openConnection(_ role: String) throws -> Connection {
        let connection = try database.connect(applicationName: "berth \(role)", statementTimeout: config.queueStatementTimeout)
        if try connection.queryRow(QueueSQL.synchronousCommit)?.decode("setting", as: String.self) == "off" {
            try connection.setSessionParameter("synchronous_commit", "on")
        }
        connection.logReconnects(logger)
        return connection
    }

    /// The producer's LISTEN connection: direct to PostgreSQL, no statement but LISTEN on it.
    func openListener() throws -> Connection {
        let connection = try database.connectDirect(applicationName: "berth listener", statementTimeout: config.queueStatementTimeout)
        connection.logReconnects(logger)
        return connection
    }
}
