import ArgumentParser
import Postgres

/// The database flags every command that talks to PostgreSQL takes (each also from the
/// environment and the config file: see `Environment.database`).
struct DatabaseOptions: ParsableArguments {
    @Option(help: "libpq URI (default: $DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "libpq URI of a direct connection to PostgreSQL for LISTEN and session locks, when --database-url is a pooler (default: $BERTH_LISTEN_DATABASE_URL, else --database-url).")
    var listenDatabaseURL: String?

    @Option(help: "session (PostgreSQL itself, or a pooler in session mode) or transaction (PgBouncer in transaction mode) (default: $BERTH_DATABASE_POOL_MODE, else session).")
    var databasePoolMode: String?

    func database(config: CLIConfig? = nil, needsDirect: Bool = false) throws -> Database {
        try Environment.database(url: databaseURL, listen: listenDatabaseURL, poolMode: databasePoolMode, config: config,
                                 needsDirect: needsDirect)
    }

    /// A connection for the command's statements (through the pooler, if there is one).
    func connect(config: CLIConfig? = nil) throws -> Connection {
        try database(config: config).connect(applicationName: "berth cli")
    }

    /// A direct connection, for a command that LISTENs (`events --follow`, `--wait`): all of
    /// its statements then use it too (one short-lived session).
    func connectDirect(config: CLIConfig? = nil) throws -> Connection {
        try database(config: config, needsDirect: true).connectDirect(applicationName: "berth cli")
    }
}
