import Foundation
import Logging
import Postgres
import Provisioning

/// One LISTEN `berth_events` connection for the whole console, on a thread of its own. Each
/// notification (a hint that events were inserted: the payload is empty) wakes every live
/// event stream, which then reads the events table as its user. A tick every `poll` seconds
/// wakes them too: the fallback for a lost notification, and what lets a stream's cursor give
/// up on gaps.
final class EventHub: @unchecked Sendable {
    private let database: Database
    private let poll: Double
    private let logger: Logger
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<Void>.Continuation] = [:]

    init(database: Database, poll: Double = 2, logger: Logger) {
        self.database = database
        self.poll = poll
        self.logger = logger
    }

    var count: Int { lock.withLock { subscribers.count } }

    /// A stream of wake-ups (at most one pending: a slow reader reads once for many hints).
    func subscribe() -> (id: UUID, wakes: AsyncStream<Void>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        lock.withLock { subscribers[id] = continuation }
        continuation.yield()  // read once at once, before any notification
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, stream)
    }

    func unsubscribe(_ id: UUID) {
        let continuation = lock.withLock { subscribers.removeValue(forKey: id) }
        continuation?.finish()
    }

    private func wakeAll() {
        for continuation in lock.withLock({ Array(subscribers.values) }) { continuation.yield() }
    }

    /// Starts the listening thread; it runs as long as the process.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "berth-console-listen"
        thread.start()
    }

    /// LISTENs on a direct connection (`Database.listenURL`: a pooler in transaction mode
    /// cannot carry a LISTEN). A lost connection is opened again with capped exponential
    /// backoff (0.2 s doubling up to 5 s); one line says it was lost and one that it is back.
    /// Streams keep reading meanwhile (each wake-up reads the table through the page pool).
    private func run() {
        var connection: Connection?
        var failures = 0
        var lostSince: Date?
        while true {
            do {
                if connection == nil {
                    let opened = try database.connectDirect(applicationName: "berth console listen")
                    opened.logReconnects(logger)
                    connection = opened
                }
                if !connection!.listening.contains(EventLog.channel) { try connection!.listen(EventLog.channel) }
                _ = try connection!.waitForNotifications(timeout: poll)
                if let since = lostSince {
                    logger.info("console: LISTEN connection back", metadata: [
                        "down_seconds": "\(String(format: "%.1f", Date().timeIntervalSince(since)))", "attempts": "\(failures)",
                    ])
                    lostSince = nil
                }
                failures = 0
                wakeAll()
            } catch {
                failures += 1
                if lostSince == nil {
                    lostSince = Date()
                    logger.warning("console: lost the LISTEN connection; reconnecting", metadata: ["error": "\(error)"])
                }
                connection = nil
                wakeAll()  // streams read from the pool meanwhile
                Thread.sleep(forTimeInterval: EventHub.backoff(failures))
            }
        }
    }

    /// The wait after the n-th failure in a row: 0.2 s, doubling, at most 5 s.
    static func backoff(_ failures: Int) -> Double {
        min(5, 0.1 * Double(1 << min(max(failures, 1), 6)))
    }
}
