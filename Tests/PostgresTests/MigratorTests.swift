import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct MigratorTests {
    /// A database with nothing in it (not cloned from the migrated template).
    private func emptyDatabase() throws -> (url: String, drop: () -> Void) {
        let name = "berth_m_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try Connection(url: try Project.databaseURL())
        try admin.executeScript("create database \(name)", operation: "create")
        return (try Project.databaseURL(database: name), {
            try? admin.executeScript("drop database if exists \(name) with (force)", operation: "drop")
        })
    }

    private let migrations = [
        Migration(version: 1, name: "one", sql: "create table berth.m1 (id int); insert into berth.m1 values (1);"),
        Migration(version: 2, name: "two", sql: "create table berth.m2 (id int);"),
    ]

    @Test func appliesOnceAndIsIdempotent() throws {
        let db = try emptyDatabase()
        defer { db.drop() }
        let connection = try Connection(url: db.url)
        let migrator = Migrator(migrations: migrations)
        #expect(try migrator.pending(on: connection).map(\.version) == [1, 2])
        #expect(try migrator.apply(on: connection).map(\.version) == [1, 2])
        #expect(try migrator.apply(on: connection).isEmpty)
        #expect(try migrator.pending(on: connection).isEmpty)
        let rows = try connection.queryRow(SQL("m1", "select count(*) as n from berth.m1"))
        #expect(try rows?.decode("n", as: Int.self) == 1)
    }

    @Test func concurrentMigratorsApplyEachFileOnce() throws {
        let db = try emptyDatabase()
        defer { db.drop() }
        let migrator = Migrator(migrations: migrations)
        let url = db.url
        let results = Locked<[Result<[Int], Error>]>([])
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread {
                let result = Result { try migrator.apply(on: try Connection(url: url)).map(\.version) }
                results.mutate { $0.append(result) }
                group.leave()
            }.start()
        }
        group.wait()
        let applied = try results.value.flatMap { try $0.get() }
        #expect(applied.sorted() == [1, 2])
        let connection = try Connection(url: db.url)
        #expect(try connection.queryRow(SQL("m1", "select count(*) as n from berth.m1"))?.decode("n", as: Int.self) == 1)
    }

    @Test func aFailingMigrationRollsBackAndStops() throws {
        let db = try emptyDatabase()
        defer { db.drop() }
        let connection = try Connection(url: db.url)
        let broken = migrations + [
            Migration(version: 3, name: "broken", sql: "create table berth.m3 (id int); select 1/0;"),
            Migration(version: 4, name: "after", sql: "create table berth.m4 (id int);"),
        ]
        let error = try #require(throws: PostgresError.self) { try Migrator(migrations: broken).apply(on: connection) }
        #expect(error.operation == "migration 3_broken")
        #expect(error.sqlState == "22012")
        #expect(try Migrator(migrations: broken).pending(on: connection).map(\.version) == [3, 4])
        #expect(try connection.queryRow(SQL("m3", "select to_regclass('berth.m3') is null as gone"))?.decode("gone", as: Bool.self) == true)
    }

    /// An applied migration's file must not change: the migrator names it and applies nothing.
    @Test func anEditedMigrationIsRefused() throws {
        let db = try emptyDatabase()
        defer { db.drop() }
        let connection = try Connection(url: db.url)
        try Migrator(migrations: migrations).apply(on: connection)
        // The checksum is the file's SHA-256, as `sha256sum` prints it.
        let recorded = try connection.queryRow(SQL("checksum", "select checksum from berth.schema_migrations where version = 1"))?
            .decode("checksum", as: String.self)
        #expect(recorded == "15916f1c6bf9cfe398d046705a4711699fc51c01575593e49091d4ee75e640a8")

        let edited = [Migration(version: 1, name: "one", sql: migrations[0].sql + " -- a fix", file: "0001_one.sql"), migrations[1],
                      Migration(version: 3, name: "three", sql: "create table berth.m3 (id int);")]
        for attempt in ["apply", "pending"] {
            let error = try #require(throws: PostgresError.self, "\(attempt)") {
                let migrator = Migrator(migrations: edited)
                _ = attempt == "apply" ? try migrator.apply(on: connection) : try migrator.pending(on: connection)
            }
            #expect(error.message.contains("migrations/0001_one.sql has changed since it was applied"), "\(error)")
            #expect(error.message.contains("new numbered migration"))
        }
        #expect(try connection.queryRow(SQL("m3", "select to_regclass('berth.m3') is null as absent"))?.decode("absent", as: Bool.self) == true)
        // Put back as it was, the file passes again and the new one applies.
        #expect(try Migrator(migrations: migrations + [edited[2]]).apply(on: connection).map(\.version) == [3])
    }

    /// A database migrated before checksums were kept gets them from the files on the next run;
    /// from then on an edit is refused.
    @Test func checksumsAreFilledInForMigrationsAppliedWithoutThem() throws {
        let db = try emptyDatabase()
        defer { db.drop() }
        let connection = try Connection(url: db.url)
        try Migrator(migrations: migrations).apply(on: connection)
        try connection.executeScript("update berth.schema_migrations set checksum = null", operation: "test_forget_checksums")
        #expect(try Migrator(migrations: migrations).apply(on: connection).isEmpty)
        #expect(try connection.queryRow(SQL("unchecked", "select count(*) as n from berth.schema_migrations where checksum is null"))?
            .decode("n", as: Int.self) == 0)
        let edited = [migrations[0], Migration(version: 2, name: "two", sql: "create table berth.m2 (id bigint);")]
        #expect(throws: PostgresError.self) { try Migrator(migrations: edited).apply(on: connection) }
    }

    @Test func loadsNumberedFilesInOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "select 2;".write(to: dir.appendingPathComponent("0010_second.sql"), atomically: true, encoding: .utf8)
        try "select 1;".write(to: dir.appendingPathComponent("0002_first.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: dir.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        #expect(try Migration.load(from: dir).map(\.version) == [2, 10])
        try "x".write(to: dir.appendingPathComponent("0010_dupe.sql"), atomically: true, encoding: .utf8)
        #expect(throws: PostgresError.self) { try Migration.load(from: dir) }
        // The project's own migrations load.
        #expect(try !Migration.load(from: Project.root.appendingPathComponent("migrations")).isEmpty)
    }
}

