import Foundation
import Postgres

/// A database of its own for one test, cloned from a template that has every migration
/// applied, so tests run in parallel without seeing each other's jobs. Dropped on `deinit`.
public final class TestDatabase: @unchecked Sendable {
    public let name: String
    public let url: String

    public static func create() throws -> TestDatabase {
        let template = try Template.shared.name()
        let name = "berth_t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try Connection(url: try Project.databaseURL(), applicationName: "berth tests")
        try createDatabase(name, template: template, admin: admin)
        return TestDatabase(name: name, url: try Project.databaseURL(database: name))
    }

    private init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    deinit {
        if let admin = try? Connection(url: (try? Project.databaseURL()) ?? "", applicationName: "berth tests") {
            try? admin.executeScript("drop database if exists \(name) with (force)", operation: "drop_test_database")
        }
    }

    public func connect() throws -> Connection {
        try Connection(url: url, applicationName: "berth tests")
    }

    /// CREATE DATABASE … TEMPLATE fails while another clone is being made from the same template
    /// ("source database is being accessed"): retry briefly.
    private static func createDatabase(_ name: String, template: String, admin: Connection) throws {
        let deadline = Date().addingTimeInterval(60)
        while true {
            do {
                try admin.executeScript("create database \(name) template \(template)", operation: "create_test_database")
                return
            } catch let error as PostgresError where error.sqlState == "55006" && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)  // back-off between attempts, not a wait for state
            }
        }
    }

    /// The migrated template, made once per test process (named by a hash of the migrations,
    /// so an edited migration gets a new template).
    final class Template: @unchecked Sendable {
        static let shared = Template()
        private let lock = NSLock()
        private var made: String?

        func name() throws -> String {
            lock.lock(); defer { lock.unlock() }
            if let made { return made }
            let migrations = try Migration.load(from: Project.root.appendingPathComponent("migrations"))
            var hash: UInt64 = 1469598103934665603
            for migration in migrations { for byte in migration.sql.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 } }
            let name = "berth_tpl_\(String(hash, radix: 16))"
            let admin = try Connection(url: try Project.databaseURL(), applicationName: "berth tests")
            try admin.executeScript("select pg_advisory_lock(4242)", operation: "template_lock")
            defer { try? admin.executeScript("select pg_advisory_unlock(4242)", operation: "template_unlock") }
            let exists = try admin.queryRow(SQL("template_exists", "select count(*) as n from pg_database where datname = $1"), [name])?
                .decode("n", as: Int.self) ?? 0
            if exists == 0 {
                try admin.executeScript("create database \(name)", operation: "create_template")
                do {
                    let connection = try Connection(url: try Project.databaseURL(database: name), applicationName: "berth tests")
                    try Migrator(migrations: migrations).apply(on: connection)
                } catch {
                    try? admin.executeScript("drop database if exists \(name) with (force)", operation: "drop_template")
                    throw error
                }
            }
            made = name
            return name
        }
    }
}
