/// Applies pending migrations: each in its own transaction together with its version row, all
/// under one session advisory lock, so two `berth migrate` runs at once apply each file once.
public struct Migrator: Sendable {
    /// Arbitrary but fixed: the advisory lock that serialises migrators.
    static let lockKey: Int64 = 0x6265_7274_686d_6967  // "berthmig"

    enum Statements {
        static let lock = SQL("migrator_lock", "select pg_advisory_lock($1)")
        static let unlock = SQL("migrator_unlock", "select pg_advisory_unlock($1)")
        static let bootstrap = """
            create schema if not exists berth;
            create table if not exists berth.schema_migrations (
                version integer primary key,
                name text not null,
                applied_at timestamptz not null default now()
            );
            """
        static let applied = SQL("migrator_applied", "select version from berth.schema_migrations order by version")
        static let tableExists = SQL("migrator_table_exists", "select to_regclass('berth.schema_migrations') is not null as present")
        static let record = SQL("migrator_record", "insert into berth.schema_migrations (version, name) values ($1, $2)")
    }

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// The migrations not yet applied on `connection`'s database (read-only: `--dry-run`).
    public func pending(on connection: Connection) throws -> [Migration] {
        let present = try connection.queryRow(Statements.tableExists)?.decode("present", as: Bool.self) ?? false
        guard present else { return migrations }
        let done = Set(try connection.query(Statements.applied).map { try $0.decode("version", as: Int.self) })
        return migrations.filter { !done.contains($0.version) }
    }

    /// Applies what is pending and returns what it applied.
    @discardableResult
    public func apply(on connection: Connection, log: (Migration) -> Void = { _ in }) throws -> [Migration] {
        try connection.query(Statements.lock, [Self.lockKey])
        defer { _ = try? connection.query(Statements.unlock, [Self.lockKey]) }
        try connection.executeScript(Statements.bootstrap, operation: "migrator_bootstrap")
        var applied: [Migration] = []
        for migration in try pending(on: connection) {
            try connection.transaction { tx in
                do {
                    try tx.executeScript(migration.sql, operation: "migration \(migration.version)_\(migration.name)")
                } catch var error as PostgresError {
                    error.operation = "migration \(migration.version)_\(migration.name)"
                    throw error
                }
                try tx.execute(Statements.record, [migration.version, migration.name])
            }
            log(migration)
            applied.append(migration)
        }
        return applied
    }
}
