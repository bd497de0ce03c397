import Foundation
import Logging
import NIOPosix
import Postgres

/// The console's database work: blocking libpq calls on a thread pool of their own (never on
/// Swift's cooperative pool), each on a connection from a bounded pool.
///
/// A page's statements run in one transaction. For a user bound to a tenant, its first
/// statement takes the tenant's role (`SET LOCAL ROLE`, see docs/security.md §4): row-level
/// security then shows that tenant's rows only, and the API functions act for that tenant
/// only. The role ends with the transaction, so the next request on the connection starts as
/// the console's own role again.
final class ConsoleDatabase: Sendable {
    private let threads: NIOThreadPool
    private let pool: ConnectionPool

    init(database: Database, connections: Int, logger: Logger) {
        threads = NIOThreadPool(numberOfThreads: connections)
        threads.start()
        pool = ConnectionPool(maxConnections: connections, checkoutTimeout: 10) {
            // A page is a few short reads: one that takes longer is stuck, not busy.
            let connection = try database.connect(applicationName: "berth console", statementTimeout: 10)
            connection.logReconnects(logger)
            // The list statements have optional filters (`$1 is null or state = $1`): planned
            // with the values, a filter's index (the failed and cancelled jobs' partial index)
            // is used; a generic plan could not know which filters are set. Planning a page's
            // few statements costs far less than a wrong plan.
            try connection.setSessionParameter("plan_cache_mode", "force_custom_plan")
            return connection
        }
    }

    /// Runs blocking work that needs no connection (the password KDF) on the console's threads.
    func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(body)
    }

    /// Runs `body` in a transaction as `user` (nil: as the console's own role, for sign-in and
    /// sessions).
    func run<T: Sendable>(as user: ConsoleUser?, _ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await threads.runIfActive { [pool] in
            try pool.withConnection { connection in
                try connection.transaction { connection in
                    if let role = user?.databaseRole { _ = try connection.query(ConsoleSQL.setRole, [role]) }
                    return try body(connection)
                }
            }
        }
    }
}
