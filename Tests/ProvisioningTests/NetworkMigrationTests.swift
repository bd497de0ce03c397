import Foundation
import Postgres
import Testing
import TestSupport

/// Migration 0007 (managed tenants share one network per region) on a database that already has
/// networks: each keeps its own VPC, as a VPC network its tenant owns.
@Suite struct NetworkMigrationTests {
    @Test func networksMadeBeforeKeepTheirVPC() throws {
        let name = "berth_m7_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try Connection(url: try Project.databaseURL())
        try admin.executeScript("create database \(name)", operation: "create")
        defer { try? admin.executeScript("drop database if exists \(name) with (force)", operation: "drop") }
        let connection = try Connection(url: try Project.databaseURL(database: name))
        let migrations = try Migration.load(from: Project.root.appendingPathComponent("migrations"))
        try Migrator(migrations: migrations.filter { $0.version < 7 }).apply(on: connection)

        let tenant: UUID = try #require(try connection.queryRow(SQL("m7_tenant", """
            insert into berth.tenants (name) values ('before') returning id
            """))?.decode("id"))
        try connection.execute(SQL("m7_network", """
            insert into berth.networks (tenant_id, region, state, outputs)
            values ($1, 'us-east-2', 'ready', '{"vpc_id": "vpc-0ld", "subnet_ids": "subnet-1,subnet-2", "ecs_cluster": "berth-before"}')
            """), [tenant])
        try Migrator(migrations: migrations).apply(on: connection)

        let row = try #require(try connection.queryRow(SQL("m7_read", """
            select v.id, v.tenant_id, v.shared, v.state, v.outputs::text as outputs, n.vpc_network
              from berth.networks n join berth.vpc_networks v on v.id = n.vpc_network
            """)))
        let id = "\(tenant.uuidString.lowercased()):us-east-2"
        #expect(try row.decode("id", as: String.self) == id && row.decode("vpc_network", as: String.self) == id)
        #expect(try row.decode("tenant_id", as: UUID.self) == tenant)
        #expect(try row.decode("shared", as: Bool.self) == false && row.decode("state", as: String.self) == "ready")
        let outputs = try row.decode("outputs", as: String.self)
        #expect(outputs.contains("vpc-0ld") && outputs.contains("subnet-1,subnet-2") && !outputs.contains("ecs_cluster"), "\(outputs)")
        // The shared network has no owner, and its id says so.
        try connection.execute(SQL("m7_shared", "insert into berth.vpc_networks (id, region) values ('shared:eu-west-2', 'eu-west-2')"))
        #expect(throws: PostgresError.self) {
            try connection.execute(SQL("m7_bad", "insert into berth.vpc_networks (id, region) values ('mine:eu-west-2', 'eu-west-2')"))
        }
    }
}
