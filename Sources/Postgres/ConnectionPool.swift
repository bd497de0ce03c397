import Foundation

/// A bounded set of connections shared by the threads of one process.
///
/// Connections are opened lazily up to `maxConnections`; a thread that finds none free waits
/// (up to `checkoutTimeout` seconds). The bound is what keeps many worker processes inside the
/// server's `max_connections` (see docs/queue.md).
public final class ConnectionPool: @unchecked Sendable {
    public let maxConnections: Int
    private let connect: @Sendable () throws -> Connection
    private let checkoutTimeout: Double
    private let condition = NSCondition()
    private var idle: [Connection] = []
    private var open = 0
    private var closed = false

    public init(maxConnections: Int, checkoutTimeout: Double = 30, connect: @escaping @Sendable () throws -> Connection) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.maxConnections = maxConnections
        self.checkoutTimeout = checkoutTimeout
        self.connect = connect
    }

    public convenience init(url: String, maxConnections: Int, checkoutTimeout: Double = 30,
                            applicationName: String = "berth", statementTimeout: Double? = nil) {
        self.init(maxConnections: maxConnections, checkoutTimeout: checkoutTimeout) {
            try Connection(url: url, applicationName: applicationName, statementTimeout: statementTimeout)
        }
    }

    /// Opens connections until `count` are open (idle ones are kept for later checkouts): a
    /// process that must not start work it cannot finish holds them first.
    public func reserve(_ count: Int) throws {
        while true {
            condition.lock()
            guard open < min(count, maxConnections), !closed else { condition.unlock(); return }
            open += 1
            condition.unlock()
            do {
                let connection = try connect()
                condition.lock(); idle.append(connection); condition.signal(); condition.unlock()
            } catch {
                condition.lock(); open -= 1; condition.signal(); condition.unlock()
                throw error
            }
        }
    }

    /// Lends a connection to `body`. A connection that broke during `body` is dropped, not reused.
    public func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try checkout()
        do {
            let value = try body(connection)
            checkin(connection)
            return value
        } catch {
            checkin(connection)
            throw error
        }
    }

    /// Connections opened so far (idle or lent out).
    public var openConnections: Int {
        condition.lock(); defer { condition.unlock() }
        return open
    }

    /// Connections lent out right now.
    public var lentConnections: Int {
        condition.lock(); defer { condition.unlock() }
        return open - idle.count
    }

    /// Closes idle connections and refuses new checkouts.
    public func close() {
        condition.lock()
        closed = true
        idle.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    private func checkout() throws -> Connection {
        let deadline = Date().addingTimeInterval(checkoutTimeout)
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw PostgresError(.usage, operation: "pool_checkout", message: "the connection pool is closed")
            }
            if let connection = idle.popLast() {
                condition.unlock()
                return connection
            }
            if open < maxConnections {
                open += 1
                condition.unlock()
                do {
                    return try connect()
                } catch {
                    condition.lock(); open -= 1; condition.signal(); condition.unlock()
                    throw error
                }
            }
            if !condition.wait(until: deadline) {
                condition.unlock()
                throw PostgresError(.connection, operation: "pool_checkout",
                                    message: "no connection free after \(checkoutTimeout)s (pool of \(maxConnections))")
            }
        }
    }

    private func checkin(_ connection: Connection) {
        condition.lock()
        if connection.isConnected && !closed {
            idle.append(connection)
        } else {
            open -= 1
        }
        condition.signal()
        condition.unlock()
    }
}
