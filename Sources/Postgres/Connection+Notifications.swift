import CLibPQ
import Glibc

/// A NOTIFY delivered to a connection that LISTENs on its channel.
public struct Notification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var senderPID: Int32
}

extension Connection {
    /// Subscribes to `channel`; the subscription survives a reconnect. Refused behind a
    /// transaction pooler: the LISTEN would stay on a server session other clients then use,
    /// and its notifications would reach nobody (use `Database.connectDirect`).
    public func listen(_ channel: String) throws {
        guard poolMode == .session else {
            throw PostgresError(.usage, operation: "listen", message:
                "LISTEN needs a direct connection to PostgreSQL, not one through a pooler in transaction mode: give the listen database URL (--listen-database-url)")
        }
        try executeScript("listen \(try quoteIdentifier(channel))", operation: "listen")
        recordListen(channel)
    }

    /// What ended a wait.
    public struct WaitResult: Sendable {
        public var notifications: [Notification]
        /// True when `alsoWatching` became readable (the caller drains it).
        public var woken: Bool
        /// The server closed the connection during the wait and it was re-established (LISTENs
        /// restored): notifications sent in between are lost, so the caller should look at the
        /// tables as it would after one.
        public var reconnected = false
    }

    /// Blocks until a notification arrives, `alsoWatching` becomes readable, or `timeout`
    /// (seconds) passes. It polls the connection's socket, so no thread spins while idle.
    public func waitForNotifications(timeout: Double, alsoWatching fd: Int32? = nil) throws -> WaitResult {
        if try reconnectIfNeeded() { return WaitResult(notifications: [], woken: false, reconnected: true) }
        guard consumeInput() else { return try reconnectAfterWait(woken: false) }
        var pending = drainNotifications()
        if !pending.isEmpty { return WaitResult(notifications: pending, woken: false) }

        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        if let fd { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        let millis = Int32(max(0, min(timeout * 1000, Double(Int32.max))).rounded(.up))
        let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), millis) }
        if ready < 0 && errno != EINTR {
            throw PostgresError(.connection, operation: "wait_for_notifications", message: "poll failed: errno \(errno)")
        }
        let woken = fds.count > 1 && fds[1].revents != 0
        if fds[0].revents != 0 {
            guard consumeInput() else { return try reconnectAfterWait(woken: woken) }
            pending = drainNotifications()
        }
        return WaitResult(notifications: pending, woken: woken)
    }

    /// The server closed the connection while it waited (a restart): reconnect now rather than
    /// fail the caller's next statement.
    private func reconnectAfterWait(woken: Bool) throws -> WaitResult {
        let pending = drainNotifications()
        try reconnectIfNeeded()
        return WaitResult(notifications: pending, woken: woken, reconnected: true)
    }

    private func drainNotifications() -> [Notification] {
        var result: [Notification] = []
        while let item = nextNotification() { result.append(item) }
        return result
    }
}
