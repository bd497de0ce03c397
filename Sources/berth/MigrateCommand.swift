import ArgumentParser
import Foundation
import Postgres

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (each in its own transaction, under an advisory lock).")

    @Flag(help: "List pending migrations without applying them; exit 1 when any is pending.")
    var dryRun = false

    @OptionGroup var databaseOptions: DatabaseOptions

    func run() throws {
        let migrations = try Migration.load(from: try Environment.migrationsDirectory())
        // Direct: the migrator's lock is a session's (the listen URL when a pooler is in the way).
        let connection = try databaseOptions.connectDirect()
        let migrator = Migrator(migrations: migrations)
        if dryRun {
            let pending = try migrator.pending(on: connection)
            if pending.isEmpty {
                Output.line("up to date: \(migrations.count) migrations applied")
                return
            }
            for migration in pending { Output.line("pending \(String(format: "%04d", migration.version))_\(migration.name)") }
            throw ExitCode(1)
        }
        let applied = try migrator.apply(on: connection) { migration in
            Output.line("applied \(String(format: "%04d", migration.version))_\(migration.name)")
        }
        if applied.isEmpty { Output.line("up to date: \(migrations.count) migrations applied") }
    }
}
