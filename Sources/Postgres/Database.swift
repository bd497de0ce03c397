/// Where a process's connections go: `url` for statements (PostgreSQL itself, or a pooler such
/// as PgBouncer, in the `poolMode` it runs), and `listenURL`, a direct connection to
/// PostgreSQL for what needs a server session of its own: LISTEN, and session advisory locks
/// (the queue's vacuum lock, the migrator's lock). Both are the same URL unless a pooler is in
/// the way. See docs/deployment.md.
public struct Database: Sendable, Equatable {
    public var url: String
    public var listenURL: String
    public var poolMode: PoolMode

    public init(url: String, listenURL: String? = nil, poolMode: PoolMode = .session) {
        self.url = url
        self.listenURL = listenURL ?? url
        self.poolMode = poolMode
    }

    /// A connection for statements (through the pooler, if there is one).
    public func connect(applicationName: String = "berth", statementTimeout: Double? = nil) throws -> Connection {
        try Connection(url: url, applicationName: applicationName, statementTimeout: statementTimeout, poolMode: poolMode)
    }

    /// A session of its own on the server: for LISTEN and session advisory locks.
    public func connectDirect(applicationName: String = "berth", statementTimeout: Double? = nil) throws -> Connection {
        try Connection(url: listenURL, applicationName: applicationName, statementTimeout: statementTimeout)
    }

    /// Whether a connection for statements can LISTEN too (one session serves both, as it did
    /// before there was a listen URL): no pooler, and no separate listen URL.
    public var statementsCanListen: Bool { poolMode == .session && listenURL == url }

    /// A pool of connections for statements.
    public func pool(maxConnections: Int, checkoutTimeout: Double = 30, applicationName: String = "berth",
                     statementTimeout: Double? = nil) -> ConnectionPool {
        ConnectionPool(maxConnections: maxConnections, checkoutTimeout: checkoutTimeout) {
            try connect(applicationName: applicationName, statementTimeout: statementTimeout)
        }
    }
}
