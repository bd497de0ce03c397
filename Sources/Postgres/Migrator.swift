/// Applies pending migrations: each in its own transaction together with its version row, all
/// under one session advisory lock, so two `berth migrate` runs at once apply each file once.
///
/// A migration, once applied, must never change: the database already holds what its old text
/// made, so an edit would make databases migrated before and after it differ without anyone
/// seeing it. Each applied file's SHA-256 is kept in `berth.schema_migrations.checksum`, and
/// both `apply` and `pending` refuse to go on when a file no longer matches, naming it.
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
            -- The SHA-256 (hex) of the file as it was applied; null for what was applied before
            -- checksums were kept (the migrator fills it in from the file the next time it runs).
            alter table berth.schema_migrations add column if not exists checksum text;
            """
        /// Through `to_jsonb`, so that `--dry-run` also reads a table made before the column was.
        static let applied = SQL("migrator_applied", """
            select m.version, to_jsonb(m) ->> 'checksum' as checksum from berth.schema_migrations m order by m.version
            """)
        static let tableExists = SQL("migrator_table_exists", "select to_regclass('berth.schema_migrations') is not null as present")
        /// The server computes the checksum, so it is the file's bytes as `sha256sum` shows them.
        static let checksum = SQL("migrator_checksum", "select encode(sha256(convert_to($1, 'UTF8')), 'hex') as checksum")
        static let record = SQL("migrator_record", """
            insert into berth.schema_migrations (version, name, checksum)
            values ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))
            """)
        static let backfill = SQL("migrator_backfill", """
            update berth.schema_migrations set checksum = encode(sha256(convert_to($2, 'UTF8')), 'hex')
             where version = $1 and checksum is null
            """)
    }

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// The migrations not yet applied on `connection`'s database (read-only: `--dry-run`).
    /// Throws when an applied migration's file has changed.
    public func pending(on connection: Connection) throws -> [Migration] {
        let present = try connection.queryRow(Statements.tableExists)?.decode("present", as: Bool.self) ?? false
        guard present else { return migrations }
        let applied = try appliedChecksums(on: connection)
        try verify(applied, on: connection)
        return migrations.filter { applied[$0.version] == nil }
    }

    /// Applies what is pending and returns what it applied. Refuses to apply anything when an
    /// applied migration's file has changed.
    @discardableResult
    public func apply(on connection: Connection, log: (Migration) -> Void = { _ in }) throws -> [Migration] {
        try connection.query(Statements.lock, [Self.lockKey])
        defer { _ = try? connection.query(Statements.unlock, [Self.lockKey]) }
        try connection.executeScript(Statements.bootstrap, operation: "migrator_bootstrap")
        let done = try appliedChecksums(on: connection)
        try verify(done, on: connection)
        for migration in migrations where done[migration.version] == .some(nil) {
            try connection.execute(Statements.backfill, [migration.version, migration.sql])
        }
        var applied: [Migration] = []
        for migration in migrations where done[migration.version] == nil {
            try connection.transaction { tx in
                do {
                    try tx.executeScript(migration.sql, operation: "migration \(migration.version)_\(migration.name)")
                } catch var error as PostgresError {
                    error.operation = "migration \(migration.version)_\(migration.name)"
                    throw error
                }
                try tx.execute(Statements.record, [migration.version, migration.name, migration.sql])
            }
            log(migration)
            applied.append(migration)
        }
        return applied
    }

    /// Applied versions and their recorded checksums (nil: applied before checksums were kept).
    private func appliedChecksums(on connection: Connection) throws -> [Int: String?] {
        var result: [Int: String?] = [:]
        for row in try connection.query(Statements.applied) {
            let checksum: String? = try row.decodeIfPresent("checksum")
            result[try row.decode("version")] = .some(checksum)
        }
        return result
    }

    /// Throws, naming the file, when a migration's text no longer has the checksum recorded when
    /// it was applied. Versions the database has but no file does (a newer database) pass.
    private func verify(_ applied: [Int: String?], on connection: Connection) throws {
        for migration in migrations {
            guard case .some(.some(let recorded)) = applied[migration.version] else { continue }
            let now: String = try connection.queryRow(Statements.checksum, [migration.sql])?.decode("checksum") ?? ""
            guard now != recorded else { continue }
            throw PostgresError(.usage, operation: "migrate", message: """
                migrations/\(migration.file) has changed since it was applied to this database (SHA-256 then \
                \(recorded.prefix(12))…, now \(now.prefix(12))…): an applied migration must never be edited. \
                Put the file back as it was and make the change in a new numbered migration
                """)
        }
    }
}
