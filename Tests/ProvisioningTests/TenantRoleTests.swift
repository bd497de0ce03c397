import Foundation
import Postgres
import Provisioning
import Queue
import Testing
import TestSupport

/// Tenant-scoped roles: `berth.grant_tenant(role, tenant)` lets a role act for a tenant through
/// the API functions, and row-level security shows it that tenant's clusters, events and jobs
/// and nothing else. `berth_client` stays the all-tenant role; the owner bypasses it all.
@Suite struct TenantRoleTests {
    /// Three tenants with a cluster each (made by the owner), and helpers to make roles.
    final class World: @unchecked Sendable {
        let db: TestDatabase
        let admin: Connection
        static let tenants = ["acme", "globex", "initech"]

        init() throws {
            db = try TestDatabase.create()
            admin = try db.connect()
            for tenant in Self.tenants {
                try TenantStore(admin).create(TenantStore.NewTenant(name: tenant))
                _ = try admin.queryRow(TenantRoleTests.createCluster, [tenant, "first", JSONText("{}")])
            }
        }

        /// A login role granted `tenants` (through berth.grant_tenant, as the owner).
        func role(_ prefix: String, tenants: [String], options: String = "login") throws -> TestRole {
            let role = try TestRole(prefix, in: db, options: options)
            for tenant in tenants { try grant(role.name, tenant) }
            return role
        }

        func grant(_ role: String, _ tenant: String) throws {
            _ = try admin.query(TenantRoleTests.grant, [role, tenant])
        }

        func revoke(_ role: String, _ tenant: String) throws {
            _ = try admin.query(TenantRoleTests.revoke, [role, tenant])
        }

        /// Rows per tenant in `table`, as `connection` sees them.
        func rowsPerTenant(_ table: String, as connection: Connection) throws -> [String: Int] {
            var result: [String: Int] = [:]
            for row in try connection.query(SQL("test_rows_\(table)", "select tenant, count(*) as n from berth.\(table) group by tenant")) {
                result[try row.decode("tenant")] = try row.decode("n")
            }
            return result
        }

        /// What the owner sees of a tenant's clusters and jobs, to show that nothing changed.
        func snapshot(_ tenant: String) throws -> [String] {
            try admin.query(SQL("test_snapshot", """
                select format('cluster %s %s %s', name, state, desired) as line from berth.clusters where tenant = $1
                union all
                select format('job %s %s %s %s', id, kind, state, cancel_requested) from berth.jobs where tenant = $1
                union all
                select format('events %s', count(*)) from berth.events where tenant = $1
                order by 1
                """), [tenant]).map { try $0.decode("line") }
        }

        func createJob(_ tenant: String, _ cluster: String) throws -> Int64 {
            try admin.queryRow(SQL("test_create_job", "select create_job from berth.clusters where tenant = $1 and name = $2 and state <> 'stopped'"),
                               [tenant, cluster])!.decode("create_job")
        }
    }

    static let createCluster = SQL("test_tenant_create", "select berth.create_cluster($1, $2, $3::jsonb) as id", redactsParameters: false)
    static let deleteCluster = SQL("test_tenant_delete", "select berth.delete_cluster($1, $2) as id", redactsParameters: false)
    static let cancelJob = SQL("test_tenant_cancel", "select berth.cancel_job($1) as state")
    static let grant = SQL("test_grant_tenant", "select berth.grant_tenant($1, $2)", redactsParameters: false)
    static let revoke = SQL("test_revoke_tenant", "select berth.revoke_tenant($1, $2)", redactsParameters: false)
    static let tables = ["clusters", "events", "jobs"]

    @Test func aScopedRoleSeesOnlyItsTenantsRows() throws {
        let w = try World()
        let role = try w.role("berth_acme", tenants: ["acme"])
        let connection = try role.connect()
        for table in Self.tables {
            let everything = try w.rowsPerTenant(table, as: w.admin)
            #expect(Set(everything.keys) == Set(World.tenants), "\(table)")
            #expect(try w.rowsPerTenant(table, as: connection) == ["acme": everything["acme"]!], "\(table)")
            // Asking for another tenant by name gives nothing either.
            #expect(try connection.query(SQL("test_other_\(table)", "select 1 from berth.\(table) where tenant <> 'acme'")).isEmpty)
        }
        let grants = try connection.query(SQL("test_own_grants", "select role::text as role, tenant from berth.tenant_grants"))
        #expect(try grants.map { [try $0.decode("role", as: String.self), try $0.decode("tenant", as: String.self)] } == [[role.name, "acme"]])
        // The same columns as berth_client: job arguments and leases stay private.
        let error = try #require(throws: PostgresError.self) {
            try connection.query(SQL("test_job_args", "select args from berth.jobs"))
        }
        #expect(error.sqlState == "42501")
        #expect(throws: PostgresError.self) { try connection.query(SQL("test_tenants", "select name from berth.tenants")) }
    }

    @Test func aScopedRoleActsOnlyForItsTenants() throws {
        let w = try World()
        let role = try w.role("berth_acme", tenants: ["acme"])
        let connection = try role.connect()
        let globexBefore = try w.snapshot("globex")

        // Another tenant's name, or a tenant that does not exist: the same refusal, so a scoped
        // role cannot find out which tenants exist.
        for (tenant, call) in [("globex", Self.createCluster), ("no-such-tenant", Self.createCluster)] {
            let refused = try #require(throws: PostgresError.self) { try connection.queryRow(call, [tenant, "x", JSONText("{}")]) }
            #expect(refused.sqlState == "42501")
            #expect(refused.message == "role \(role.name) may not act for tenant '\(tenant)'; it may act for: acme", "\(refused)")
        }
        let delete = try #require(throws: PostgresError.self) { try connection.queryRow(Self.deleteCluster, ["globex", "first"]) }
        #expect(delete.sqlState == "42501")
        let scale = try #require(throws: PostgresError.self) {
            try connection.queryRow(SQL("test_scoped_scale", "select berth.scale_cluster($1, $2, $3::int4)", redactsParameters: false),
                                    ["globex", "first", Int32(3)])
        }
        #expect(scale.sqlState == "42501" && scale.message.hasPrefix("role \(role.name) may not act for tenant 'globex'"), "\(scale)")
        let globexJob = try w.createJob("globex", "first")
        let cancel = try #require(throws: PostgresError.self) { try connection.queryRow(Self.cancelJob, [globexJob]) }
        #expect(cancel.sqlState == "22023")
        #expect(cancel.message == "there is no job \(globexJob) among the jobs of the tenants this role may act for", "\(cancel)")
        #expect(try w.snapshot("globex") == globexBefore, "nothing of globex changed")

        // Its own tenant: create, cancel a queued create (the cluster is deleted, as the
        // trigger does for `berth jobs cancel`), cancel a running one, delete.
        let id: UUID = try connection.queryRow(Self.createCluster, ["acme", "second", JSONText("{}")])!.decode("id")
        let queued = try w.createJob("acme", "second")
        #expect(try connection.queryRow(Self.cancelJob, [queued])!.decode("state", as: String.self) == "cancelled")
        let state = SQL("test_cluster_state", "select state, desired from berth.clusters where id = $1")
        let second = try connection.queryRow(state, [id])!
        #expect(try [second.decode("state", as: String.self), second.decode("desired", as: String.self)] == ["stopping", "deleted"])

        let running = try w.createJob("acme", "first")
        _ = try w.admin.execute(SQL("test_make_running", """
            update berth.jobs set state = 'running', attempt = 1, lease_token = gen_random_uuid(), locked_by = 'test',
                   locked_until = now() + interval '1 minute' where id = $1
            """), [running])
        #expect(try connection.queryRow(Self.cancelJob, [running])!.decode("state", as: String.self) == "running")
        #expect(try w.admin.queryRow(SQL("test_cancel_requested", "select cancel_requested from berth.jobs where id = $1"), [running])!
            .decode("cancel_requested", as: Bool.self))
        let finished = try #require(throws: PostgresError.self) { try connection.queryRow(Self.cancelJob, [queued]) }
        #expect(finished.message == "job \(queued) is cancelled: only queued or running jobs can be cancelled")
        #expect(try w.snapshot("globex") == globexBefore)
    }

    @Test func grantsAddUpAndARevokedRoleSeesNothing() throws {
        let w = try World()
        let role = try w.role("berth_two", tenants: ["acme", "globex"])
        let connection = try role.connect()
        for table in Self.tables {
            #expect(Set(try w.rowsPerTenant(table, as: connection).keys) == ["acme", "globex"], "\(table)")
        }
        _ = try connection.queryRow(Self.createCluster, ["globex", "second", JSONText("{}")])

        try w.revoke(role.name, "globex")
        for table in Self.tables {
            #expect(Set(try w.rowsPerTenant(table, as: connection).keys) == ["acme"], "\(table)")
        }
        #expect(throws: PostgresError.self) { try connection.queryRow(Self.deleteCluster, ["globex", "second"]) }

        // The last grant gone, the role is no member of berth_tenant: no API, no rows.
        try w.revoke(role.name, "acme")
        for table in Self.tables {
            let error = try #require(throws: PostgresError.self) { try w.rowsPerTenant(table, as: connection) }
            #expect(error.sqlState == "42501", "\(table)")
        }
        let api = try #require(throws: PostgresError.self) { try connection.queryRow(Self.createCluster, ["acme", "third", JSONText("{}")]) }
        #expect(api.sqlState == "42501")
        #expect(try w.admin.queryRow(SQL("test_member", "select pg_has_role($1::text::name, 'berth_tenant', 'MEMBER') as member"),
                                     [role.name])!.decode("member", as: Bool.self) == false)

        // Grants reach the members of a granted group role, as privileges do.
        let group = try w.role("berth_group", tenants: ["initech"], options: "nologin")
        let member = try TestRole("berth_member", in: w.db, setup: "grant \(group.name) to %r")
        let memberConnection = try member.connect()
        #expect(Set(try w.rowsPerTenant("clusters", as: memberConnection).keys) == ["initech"])
        _ = try memberConnection.queryRow(Self.createCluster, ["initech", "second", JSONText("{}")])
    }

    /// A console logs in once (here as a berth_client member) and sets a tenant's role per
    /// request: while the role is set, the tables and the API functions are scoped to it.
    @Test func setRoleScopesASession() throws {
        let w = try World()
        let scoped = try w.role("berth_scoped", tenants: ["acme"], options: "nologin")
        let console = try TestRole("berth_console", in: w.db, setup: "grant berth_client, \(scoped.name) to %r")
        let connection = try console.connect()
        let who = SQL("test_who", "select current_user::text as current, session_user::text as session, current_setting('role') as role")

        #expect(Set(try w.rowsPerTenant("clusters", as: connection).keys) == Set(World.tenants))
        try connection.executeScript("set role \(scoped.name)", operation: "test_set_role")
        let row = try connection.queryRow(who)!
        #expect(try [row.decode("current"), row.decode("session"), row.decode("role")] as [String] == [scoped.name, console.name, scoped.name])
        for table in Self.tables {
            #expect(Set(try w.rowsPerTenant(table, as: connection).keys) == ["acme"], "\(table)")
        }
        // Inside the SECURITY DEFINER function current_user is the owner: the check finds the
        // set role, not the console's login role (which may act for every tenant).
        let refused = try #require(throws: PostgresError.self) { try connection.queryRow(Self.createCluster, ["globex", "x", JSONText("{}")]) }
        #expect(refused.message.hasPrefix("role \(scoped.name) may not act for tenant 'globex'"), "\(refused)")
        _ = try connection.queryRow(Self.createCluster, ["acme", "via-console", JSONText("{}")])

        try connection.executeScript("reset role", operation: "test_reset_role")
        #expect(Set(try w.rowsPerTenant("clusters", as: connection).keys) == Set(World.tenants))
        _ = try connection.queryRow(Self.createCluster, ["globex", "via-console", JSONText("{}")])
    }

    @Test func grantingIsForTheOwnerOnly() throws {
        let w = try World()
        let scoped = try w.role("berth_acme", tenants: ["acme"])
        let client = try TestRole("berth_app", in: w.db, setup: "grant berth_client to %r")
        for role in [scoped, client] {
            let connection = try role.connect()
            for call in [Self.grant, Self.revoke] {
                let error = try #require(throws: PostgresError.self) { try connection.query(call, [role.name, "globex"]) }
                #expect(error.sqlState == "42501", "\(role.name): \(error)")
            }
        }
        let refusals: [(role: String, tenant: String, phrase: String)] = [
            ("no_such_role_\(UUID().uuidString.prefix(8).lowercased())", "acme", "does not exist"),
            (client.name, "acme", "already acts for every tenant"),
            ("berth_tenant", "acme", "one of Berth's group roles"),
            (scoped.name, "nobody-here", "unknown tenant 'nobody-here'"),
            (scoped.name, "Bad Name", "tenant name 'Bad Name' is not allowed"),
        ]
        for refusal in refusals {
            let error = try #require(throws: PostgresError.self) { try w.admin.query(Self.grant, [refusal.role, refusal.tenant]) }
            #expect(error.sqlState == "22023" && error.message.contains(refusal.phrase), "\(refusal): \(error)")
        }
        try w.grant(scoped.name, "acme")  // again: nothing changes
        #expect(try w.admin.queryRow(SQL("test_grant_rows", "select count(*) as n from berth.tenant_grants"))!.decode("n", as: Int.self) == 1)
    }

    /// `berth events --follow` as a scoped role: live events of other tenants never arrive
    /// (row-level security hides them; the follower takes their ids for gaps).
    @Test func followingEventsShowsOnlyTheRolesTenants() throws {
        let w = try World()
        let role = try w.role("berth_acme", tenants: ["acme"])
        let connection = try role.connect()
        let seen = Locked<[Event]>([])
        let done = Locked(false)
        let failure = Locked<String?>(nil)
        let thread = Thread {
            do {
                try EventLog(connection).follow(after: 0, filter: EventLog.Filter(), deadline: Date().addingTimeInterval(60)) { event in
                    seen.mutate { $0.append(event) }
                    return event.clusterName != "late"
                }
            } catch {
                failure.mutate { $0 = "\(error)" }
            }
            done.mutate { $0 = true }
        }
        thread.start()
        // The follower has read the existing events before others are written.
        try poll("the follower reads acme's first event") { !seen.value.isEmpty || done.value }
        for tenant in ["globex", "initech"] {
            _ = try w.admin.queryRow(Self.createCluster, [tenant, "late", JSONText("{}")])
            _ = try w.admin.queryRow(Self.deleteCluster, [tenant, "late"])
        }
        _ = try w.admin.queryRow(Self.createCluster, ["acme", "late", JSONText("{}")])
        try poll(timeout: 30, "the follower sees acme's late cluster") { done.value }
        #expect(failure.value == nil, "\(failure.value ?? "")")
        #expect(seen.value.last?.clusterName == "late")
        #expect(Set(seen.value.map(\.tenant)) == ["acme"])
    }

    /// NOTIFY needs no privilege, so any role can LISTEN: payloads carry ids only, never a
    /// tenant's name, a cluster's name or a spec.
    @Test func notificationsCarryIdsOnly() throws {
        let w = try World()
        let role = try w.role("berth_acme", tenants: ["acme"])
        let listener = try role.connect()
        for channel in [JobQueue.notifyChannel, EventLog.channel, JobQueue.cancelChannel] { try listener.listen(channel) }
        _ = try w.admin.queryRow(Self.createCluster, ["globex", "secret-project", JSONText(#"{"workers": 3}"#)])
        let createJob = try w.createJob("globex", "secret-project")
        _ = try w.admin.queryRow(Self.deleteCluster, ["globex", "secret-project"])  // cancels the queued create

        var received: [Postgres.Notification] = []
        try poll("a notification on every channel") {
            received += try listener.waitForNotifications(timeout: 0.2).notifications
            return Set(received.map(\.channel)) == [JobQueue.notifyChannel, EventLog.channel, JobQueue.cancelChannel]
        }
        for notification in received {
            let idsOnly = notification.payload.allSatisfy { $0.isASCII && $0.isNumber }
            #expect(idsOnly, "\(notification.channel): \(notification.payload)")
        }
        #expect(received.filter { $0.channel == JobQueue.cancelChannel }.map(\.payload) == [String(createJob)])
    }

    /// Every pg_notify in the migrations and the sources (on a named channel or one bound as a
    /// parameter) sends '' or an id: a payload added later that carries more fails here.
    @Test func everyNotifyPayloadIsAnId() throws {
        let root = Project.root
        var files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("migrations").path)
            .filter { $0.hasSuffix(".sql") }.map { root.appendingPathComponent("migrations/\($0)") }
        let sources = FileManager.default.enumerator(at: root.appendingPathComponent("Sources"), includingPropertiesForKeys: nil)
        while let url = sources?.nextObject() as? URL {
            if url.pathExtension == "swift" { files.append(url) }
        }
        let call = try Regex(#"pg_notify\(\s*('[a-z_]+'|\$[0-9]+)\s*,\s*([^)]*)\)"#)
        let idPayload = try Regex(#"^(''|[a-z_.]*(id|job)::(pg_catalog\.)?text)$"#)
        var calls = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: call) {
                calls += 1
                let payload = String(text[match.output[2].range!])
                #expect(payload.wholeMatch(of: idPayload) != nil, "\(file.lastPathComponent): pg_notify(\(text[match.range]))")
            }
        }
        #expect(calls >= 5)
    }

    /// The owner (migrations, workers, the CLI) is not filtered: the tables do not FORCE row
    /// security, so the queue's statements plan and run as before.
    @Test func theOwnerBypassesRowSecurity() throws {
        let w = try World()
        let flags = try w.admin.query(SQL("test_rls_flags", """
            select relname::text as name, relrowsecurity as enabled, relforcerowsecurity as forced
              from pg_class where relnamespace = 'berth'::regnamespace and relname in ('clusters', 'events', 'jobs', 'tenant_grants')
             order by relname
            """))
        #expect(flags.count == 4)
        for row in flags {
            let name: String = try row.decode("name")
            #expect(try row.decode("enabled", as: Bool.self), "\(name)")
            #expect(try !row.decode("forced", as: Bool.self), "\(name)")
        }
        let plan = try w.admin.query(SQL("test_owner_plan", "explain select id from berth.jobs where state = 'queued' and tenant = 'acme'"))
            .map { try $0.decode("QUERY PLAN", as: String.self) }.joined(separator: "\n")
        #expect(!plan.contains("InitPlan") && !plan.contains("visible_tenants"), "\(plan)")
        #expect(try w.rowsPerTenant("jobs", as: w.admin).count == 3)
    }
}
