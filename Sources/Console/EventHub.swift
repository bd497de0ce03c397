import Foundation
import Logging
import Postgres

/// One LISTEN `berth_events` connection for the whole console, on a thread of its own. Each
/// notification (a hint that events were inserted: the payload is empty) wakes every live
/// event stream, which then reads the events table as its user. A tick every `poll` seconds
/// wakes them too: the fallback for a lost notification, and what lets a stream's cursor give
/// up on gaps.
final class EventHub: @unchecked Sendable {
    private let url: String
    private let poll: Double
    private let logger: Logger
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<Void>.Continuation] = [:]

    init(url: String, poll: Double = 2, logger: Logger) {
        self.url = url
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

    private func run() {
        var connection: Connection?
        var failures = 0
        while true {
            do {
                if connection == nil { connection = try Connection(url: url, applicationName: "berth console listen") }
                try connection!.reconnectIfNeeded()
                if !connection!.listening.contains("berth_events") { try connection!.listen("berth_events") }
                _ = try connection!.waitForNotifications(timeout: poll)
                failures = 0
                wakeAll()
            } catch {
                failures += 1
                if failures == 1 { logger.warning("console: lost the LISTEN connection; reconnecting", metadata: ["error": "\(error)"]) }
                connection = nil
                wakeAll()  // streams read from the pool meanwhile
                Thread.sleep(forTimeInterval: min(5, 0.1 * Double(1 << min(failures, 6))))
            }
        }
    }
}
