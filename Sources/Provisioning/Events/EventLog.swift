import Foundation
import Logging
import Postgres
import Queue

/// Reading events, and following them live with LISTEN `berth_events`.
public struct EventLog {
    public let connection: Connection

    /// The channel `berth.events_notify` (the trigger on inserts into `berth.events`) notifies;
    /// `ChannelTests` checks that the two agree.
    public static let channel = "berth_events"

    public init(_ connection: Connection) {
        self.connection = connection
    }

    static let logger = Logger(label: "berth.events")

    public struct Filter: Sendable {
        public var tenant: String?
        public var clusterName: String?
        public var clusterId: UUID?
        public init(tenant: String? = nil, clusterName: String? = nil, clusterId: UUID? = nil) {
            self.tenant = tenant
            self.clusterName = clusterName
            self.clusterId = clusterId
        }

        func matches(_ event: Event) -> Bool {
            (tenant == nil || event.tenant == tenant) && (clusterName == nil || event.clusterName == clusterName)
                && (clusterId == nil || event.clusterId == clusterId)
        }
    }

    /// The most recent `limit` events, oldest first.
    public func last(_ limit: Int, filter: Filter) throws -> [Event] {
        try connection.query(ProvisioningSQL.lastEvents, [filter.tenant, filter.clusterName, filter.clusterId, limit]).map(Event.init(row:))
    }

    public func after(_ id: Int64, filter: Filter, limit: Int = 500) throws -> [Event] {
        try connection.query(ProvisioningSQL.eventsAfter, [id, filter.tenant, filter.clusterName, filter.clusterId, limit]).map(Event.init(row:))
    }

    /// Calls `handle` for each new event after `after` as it is committed, until `handle`
    /// returns false. Waits on NOTIFY, with `poll` seconds as the fallback.
    ///
    /// Ids come from a sequence, so a transaction that commits late can make an id smaller
    /// than one already seen appear: an `EventCursor` keeps the watermark, the ids handled
    /// above it and the gaps, given up on after `gapGrace` seconds.
    ///
    /// A lost connection (the server restarted, the network dropped) is reconnected with
    /// backoff, LISTEN included. The watermark and the handled ids are kept, so the next read
    /// carries on where the last one stopped: nothing is handled twice and nothing is missed.
    /// Returns when `handle` returns false or `deadline` passes.
    public func follow(after: Int64, filter: Filter, poll: Double = 1, gapGrace: Double = 5, deadline: Date = .distantFuture,
                       reconnectBackoff: Backoff = Backoff(base: 0.1, cap: 5), _ handle: (Event) throws -> Bool) throws {
        var cursor = EventCursor(after: after)
        var lost: (since: Date, attempts: Int)?
        while true {
            do {
                if let since = lost?.since {
                    try connection.reconnectIfNeeded()
                    Self.logger.info("reconnected to the database after \(Int(Date().timeIntervalSince(since).rounded())) s; following on from event \(cursor.watermark)")
                    lost = nil
                }
                if !connection.listening.contains(Self.channel) { try connection.listen(Self.channel) }
                // Unfiltered, so the only gaps are transactions in flight or rolled back.
                for event in cursor.accept(try self.after(cursor.watermark, filter: Filter())) {
                    if filter.matches(event), try !handle(event) { return }
                }
                cursor.advance(gapGrace: gapGrace)
                if Date() >= deadline { return }
                _ = try connection.waitForNotifications(timeout: min(poll, max(0.001, deadline.timeIntervalSinceNow)))
            } catch let error as PostgresError where error.isConnectionError {
                let attempts = (lost?.attempts ?? 0) + 1
                if lost == nil { Self.logger.warning("lost the database connection (\(error.message)); reconnecting") }
                lost = (lost?.since ?? Date(), attempts)
                let pause = reconnectBackoff.delay(attempt: attempts)
                if Date().addingTimeInterval(pause) >= deadline { return }
                Thread.sleep(forTimeInterval: pause)  // waiting for the server to come back: nothing else to do
            }
        }
    }
}
