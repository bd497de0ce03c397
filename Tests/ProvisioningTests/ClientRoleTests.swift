import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// Least privilege for back offices: a login role that is a member of `berth_client` may use
/// the SQL API and read clusters, events and job progress, and nothing else.
@Suite struct ClientRoleTests {
    /// A test database plus a login role of its own granted `berth_client`.
    final class World: @unchecked Sendable {
        let db: TestDatabase
        let admin: Connection
        let login: TestRole
        var role: String { login.name }

        init() throws {
            db = try TestDatabase.create()
            admin = try db.connect()
            login = try TestRole("berth_app", in: db, setup: "grant berth_client to %r")
        }

        /// A connection as the role (what a back office would hold).
        func client() throws -> Connection {
            try login.connect()
        }

        func tenant(_ name: String) throws {
            try TenantStore(admin).create(TenantStore.NewTenant(name: name))
        }
    }

    static let createCluster = SQL("test_client_create", "select berth.create_cluster($1, $2, $3::jsonb) as id")
    static let deleteCluster = SQL("test_client_delete", "select berth.delete_cluster($1, $2) as id")

    @Test func theAPIAndTheReadableTablesWork() throws {
        let w = try World()
        try w.tenant("acme")
        let client = try w.client()
        let whoami = try client.queryRow(SQL("test_whoami", "select current_user::text as who"))!.decode("who", as: String.self)
        #expect(whoami == w.role)

        let id: UUID = try client.queryRow(Self.createCluster, ["acme", "c1", JSONText(#"{"workers": 1}"#)])!.decode("id")
        // Bad input is still the API's 22023, not a permission error.
        let bad = try #require(throws: PostgresError.self) {
            try client.queryRow(Self.createCluster, ["acme", "c2", JSONText(#"{"worker_gpus": 2}"#)])
        }
        #expect(bad.sqlState == "22023")

        let cluster = try #require(try client.queryRow(SQL("test_client_clusters", """
            select id, tenant, name, state, error, backend, region, spec::text as spec, scheduler_address, created_at, updated_at
              from berth.clusters where id = $1
            """), [id]))
        #expect(try cluster.decode("state", as: String.self) == "pending")
        #expect(try client.query(SQL("test_client_events", "select id, type, message from berth.events where cluster_id = $1"), [id]).count == 1)
        let jobs = try client.query(SQL("test_client_jobs", """
            select id, kind, tenant, state, attempt, max_attempts, run_at, last_error, created_at, finished_at from berth.jobs
            """))
        #expect(jobs.count == 1)

        let deleted: UUID = try client.queryRow(Self.deleteCluster, ["acme", "c1"])!.decode("id")
        #expect(deleted == id)
        #expect(try client.queryRow(SQL("test_client_state", "select state from berth.clusters where id = $1"), [id])!
            .decode("state", as: String.self) == "stopping")
        // The jobs the API made belong to the schema's owner, not to the client.
        #expect(try client.query(SQL("test_client_jobs_after", "select id from berth.jobs")).count == 2)

        // berth.cancel_job: the queued delete ends `cancelled`, which leaves the cluster in
        // `error` (a delete that did not finish), as `berth jobs cancel` does.
        let deleteJob = try client.queryRow(SQL("test_client_delete_job", "select id from berth.jobs where kind = 'cluster.delete'"))!
            .decode("id", as: Int64.self)
        let state = try client.queryRow(SQL("test_client_cancel", "select berth.cancel_job($1) as state"), [deleteJob])!
            .decode("state", as: String.self)
        #expect(state == "cancelled")
        #expect(try client.queryRow(SQL("test_client_state", "select state from berth.clusters where id = $1"), [id])!
            .decode("state", as: String.self) == "error")
    }

    static let forbidden: [(label: String, sql: String)] = [
        ("read tenants", "select name from berth.tenants"),
        ("read tenant secrets", "select secret_ciphertext from berth.tenants"),
        ("read every job column", "select * from berth.jobs"),
        ("read job args", "select args from berth.jobs"),
        ("read job lease", "select lease_token from berth.jobs"),
        ("read steps", "select * from berth.steps"),
        ("read networks", "select * from berth.networks"),
        ("read VPC networks", "select * from berth.vpc_networks"),
        ("read clusters' certificate authorities", "select * from berth.cluster_tls"),
        ("read clusters' sealed TLS keys", "select keys_ciphertext from berth.cluster_tls"),
        ("read tenant limits", "select * from berth.queue_tenant_limits"),
        ("insert a cluster", """
            insert into berth.clusters (tenant_id, tenant, name, backend, region, spec)
            select gen_random_uuid(), 'acme', 'sneaky', 'ecs', 'us-east-2', '{}'::jsonb
            """),
        ("update a cluster", "update berth.clusters set state = 'ready'"),
        ("delete a cluster row", "delete from berth.clusters"),
        ("insert a job", "insert into berth.jobs (kind, tenant, args) values ('cluster.create', 'acme', '{}')"),
        ("update a job", "update berth.jobs set state = 'succeeded'"),
        ("insert an event", "insert into berth.events (tenant, type, message) values ('acme', 'state', 'forged')"),
        ("claim jobs", "select * from berth.claim_jobs('intruder', 10, 1000)"),
        ("pick capped jobs", "select berth.pick_capped_jobs(10)"),
        ("enqueue a job", "select berth.enqueue_job('cluster.create', 'acme', '{}')"),
        ("probe a lease", "select berth.job_holds_lease(1, gen_random_uuid())"),
        ("look up a tenant", "select berth.api_tenant('acme')"),
        ("resolve a spec", "select berth.resolve_spec(null::berth.tenants, '{}')"),
        ("request a delete", "select berth.request_cluster_delete(gen_random_uuid(), 'x')"),
        ("cancel any job", "select berth.request_job_cancel(1)"),
        ("raise a spec error", "select berth.spec_error('x')"),
        ("list regions", "select berth.supported_regions()"),
        ("read tenant grants", "select * from berth.tenant_grants"),
        ("grant a tenant", "select berth.grant_tenant(current_user, 'acme')"),
        ("revoke a tenant", "select berth.revoke_tenant(current_user, 'acme')"),
        ("check tenant access", "select berth.check_tenant_access('acme')"),
        ("quote input", "select berth.quote_input('x'::text)"),
        ("create a table in the schema", "create table berth.mine (id int)"),
        ("create a function in the schema", "create function berth.mine() returns int language sql as 'select 1'"),
    ]

    @Test func everythingElseIsRefused() throws {
        let w = try World()
        try w.tenant("acme")
        _ = try w.admin.queryRow(Self.createCluster, ["acme", "c1", JSONText("{}")])
        let client = try w.client()
        for (index, statement) in Self.forbidden.enumerated() {
            let error = try #require(throws: PostgresError.self, "\(statement.label)") {
                try client.query(SQL("test_forbidden_\(index)", statement.sql))
            }
            #expect(error.sqlState == "42501", "\(statement.label): \(error)")
        }
        // Nothing changed behind the refusals.
        let row = try w.admin.queryRow(SQL("test_client_counts", """
            select (select count(*) from berth.clusters) as clusters, (select count(*) from berth.jobs) as jobs,
                   (select count(*) from berth.jobs where state = 'queued') as queued,
                   (select count(*) from berth.events) as events
            """))!
        #expect(try [row.decode("clusters"), row.decode("jobs"), row.decode("queued"), row.decode("events")] as [Int] == [1, 1, 1, 1])
    }

    /// `set role berth_client` on the schema owner's connection: the role alone (no login)
    /// has the same rights.
    @Test func theRoleItselfViaSetRole() throws {
        let w = try World()
        try w.tenant("acme")
        let connection = try w.db.connect()
        try connection.executeScript("set role berth_client", operation: "test_set_role")
        _ = try connection.queryRow(Self.createCluster, ["acme", "c1", JSONText("{}")])
        #expect(try connection.query(SQL("test_role_clusters", "select id from berth.clusters")).count == 1)
        let error = try #require(throws: PostgresError.self) {
            try connection.query(SQL("test_role_tenants", "select id from berth.tenants"))
        }
        #expect(error.sqlState == "42501")
    }
}
