import Foundation
import Postgres

/// What the CLI reads from the environment.
enum Environment {
    static var values: [String: String] { ProcessInfo.processInfo.environment }

    /// The database to use: `--database-url`, else `DATABASE_URL`, else the config file's
    /// `database-url` (the same order for every command). A string libpq cannot parse is bad
    /// input, and no message shows its password.
    static func databaseURL(_ flag: String? = nil, config: CLIConfig? = nil) throws -> String {
        guard let url = try setting(flag, "--database-url", "DATABASE_URL", "database-url", config: config, \.databaseURL) else {
            throw UsageError("DATABASE_URL is not set: give a libpq URI such as postgresql://user@127.0.0.1:5432/berth (or --database-url, or database-url in \(CLIConfig.path(environment: values)))")
        }
        do { try ConnectionString.check(url.value) } catch { throw UsageError("\(url.source) is \(error.message)") }
        return url.value
    }

    /// Where statements and LISTEN go (`Database`): the database URL; the listen URL
    /// (`--listen-database-url`, `BERTH_LISTEN_DATABASE_URL`, `listen-database-url`; default: the
    /// database URL); the pool mode (`--database-pool-mode`, `BERTH_DATABASE_POOL_MODE`,
    /// `database-pool-mode`; default `session`). `needsDirect`: the command LISTENs or takes a
    /// session lock, which a pooler in transaction mode cannot carry, so it needs a listen URL.
    static func database(url urlFlag: String?, listen listenFlag: String? = nil, poolMode poolModeFlag: String? = nil,
                         config: CLIConfig? = nil, needsDirect: Bool = false) throws -> Database {
        let url = try databaseURL(urlFlag, config: config)
        var mode = PoolMode.session
        if let text = try setting(poolModeFlag, "--database-pool-mode", "BERTH_DATABASE_POOL_MODE", "database-pool-mode", config: config, \.databasePoolMode) {
            guard let parsed = PoolMode.parse(text.value) else {
                throw UsageError("\(text.source) is '\(text.value.prefix(40))': use \(PoolMode.allowed) (transaction: the database URL is PgBouncer in transaction mode)")
            }
            mode = parsed
        }
        let listen = try setting(listenFlag, "--listen-database-url", "BERTH_LISTEN_DATABASE_URL", "listen-database-url", config: config, \.listenDatabaseURL)
        if let listen {
            do { try ConnectionString.check(listen.value) } catch { throw UsageError("\(listen.source) is \(error.message)") }
        } else if needsDirect && mode == .transaction {
            throw UsageError("with the database pool mode transaction, this command needs a direct connection to PostgreSQL for LISTEN and session locks: give --listen-database-url (or BERTH_LISTEN_DATABASE_URL, or listen-database-url in \(CLIConfig.path(environment: values)))")
        }
        return Database(url: url, listenURL: listen?.value, poolMode: mode)
    }

    /// A flag's value, else an environment variable's, else a config file key's; nil when none
    /// is set. `source` names where it came from, for errors.
    private static func setting(_ flag: String?, _ flagName: String, _ variable: String, _ key: String, config: CLIConfig?,
                                _ field: KeyPath<CLIConfig, String?>) throws -> (value: String, source: String)? {
        if let flag, !flag.isEmpty { return (flag, flagName) }
        if let value = values[variable], !value.isEmpty { return (value, variable) }
        if let value = (try config ?? CLIConfig.file(environment: values))[keyPath: field], !value.isEmpty {
            return (value, "\(key) in \(CLIConfig.path(environment: values))")
        }
        return nil
    }

    /// A connection for a command's statements (through the pooler, if there is one).
    static func connect(_ flag: String? = nil, config: CLIConfig? = nil) throws -> Connection {
        try database(url: flag, config: config).connect(applicationName: "berth cli")
    }

    /// Where `migrations/` is: `BERTH_MIGRATIONS_DIR`, next to the binary's package checkout
    /// (`.build/<config>/berth` → `migrations/`), `../share/berth/migrations` for an installed
    /// binary, or the current directory's `migrations/`.
    static func migrationsDirectory() throws -> URL {
        if let dir = values["BERTH_MIGRATIONS_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates: [URL] = []
        var dir = exe
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("migrations"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("share/berth/migrations"))
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations"))
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("0001_queue.sql").path) {
            return candidate
        }
        throw UsageError("cannot find the migrations folder: set BERTH_MIGRATIONS_DIR to the project's migrations/ directory")
    }
}
