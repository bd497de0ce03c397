import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// The API functions run as the schema's owner (SECURITY DEFINER). A caller must not be able to
/// make them run its own code: the hole was `pg_temp`, which Postgres searches first for types
/// when a function's search_path leaves it out, so a client's `pg_temp.text` domain ran its
/// CHECK function as the owner (and made the client superuser).
@Suite struct DefinerSecurityTests {
    final class World: @unchecked Sendable {
        let db: TestDatabase
        let admin: Connection
        let attacker: TestRole

        init() throws {
            db = try TestDatabase.create()
            admin = try db.connect()
            attacker = try TestRole("berth_evil", in: db, setup: "grant berth_client to %r")
            // A tenant with a sealed secret to steal (the bytes do not matter).
            try admin.executeScript("""
                insert into berth.tenants (name, aws_mode, access_key_id, secret_ciphertext, secret_key_id)
                values ('acme', 'own', 'AKIAEXAMPLEEXAMPLE00', '\\xdeadbeef', 'k1')
                """, operation: "test_tenant_with_secret")
        }
    }

    /// What a hostile back office runs before calling the API: a function that, run as the owner,
    /// makes its role superuser and copies the tenants' secrets where it can read them; domains
    /// that call it, named after every type the API functions use; and operators that would
    /// record being called, in pg_temp as well.
    static func booby(trap role: String) -> String {
        var script = """
            create temp table loot (what text);
            create function pg_temp.pwn(x anyelement) returns boolean language plpgsql as $$
            begin
                insert into pg_temp.loot select current_user || ' read ' || name || ' ' || encode(secret_ciphertext, 'hex')
                  from berth.tenants;
                begin
                    execute 'alter role \(role) superuser';
                    insert into pg_temp.loot values ('became superuser as ' || current_user);
                exception when others then
                    insert into pg_temp.loot values ('alter role failed as ' || current_user || ': ' || sqlerrm);
                end;
                return true;
            end $$;
            create function pg_temp.spy_jsonb(a pg_catalog.jsonb, b pg_catalog.text) returns pg_catalog.bool language plpgsql as $$
            begin
                insert into pg_temp.loot values ('operator ? called as ' || current_user);
                return true;
            end $$;
            create operator pg_temp.? (leftarg = pg_catalog.jsonb, rightarg = pg_catalog.text, function = pg_temp.spy_jsonb);

            """
        for type in ["uuid", "text", "jsonb", "int4", "int8", "bool", "numeric", "inet", "name"] {
            script += "create domain pg_temp.\(type) as pg_catalog.\(type) check (pg_temp.pwn(value));\n"
        }
        for (index, (op, type)) in [("=", "text"), ("<>", "text"), ("!~", "text"), ("=", "uuid"), ("=", "int8"), ("=", "bool")].enumerated() {
            script += """
                create function pg_temp.spy_\(index)(a pg_catalog.\(type), b pg_catalog.\(type)) returns pg_catalog.bool
                language plpgsql as $$
                begin
                    insert into pg_temp.loot values ('operator \(op) called as ' || current_user);
                    return true;
                end $$;
                create operator pg_temp.\(op) (leftarg = pg_catalog.\(type), rightarg = pg_catalog.\(type), function = pg_temp.spy_\(index));

                """
        }
        return script
    }

    static let loot = SQL("test_loot", "select what from pg_temp.loot")
    static let isSuperuser = SQL("test_is_superuser", "select rolsuper from pg_roles where rolname = $1")

    @Test func tempObjectsCannotHijackTheAPIFunctions() throws {
        let w = try World()
        let evil = try w.attacker.connect()
        try evil.executeScript(Self.booby(trap: w.attacker.name), operation: "test_booby_trap")

        // The API still works for this caller, with every type and operator shadowed.
        let id: UUID = try evil.queryRow(SQL("test_evil_create", "select berth.create_cluster($1, $2, $3::pg_catalog.jsonb) as id"),
                                         ["acme", "c1", JSONText(#"{"workers": 1, "ingress_cidrs": ["203.0.113.0/24"]}"#)])!.decode("id")
        // berth.scale_cluster (migration 0013), on the cluster made ready by hand: the quota check,
        // the converge job's enqueue, the event.
        try w.admin.execute(SQL("test_evil_ready", "update berth.clusters set state = 'ready' where id = $1"), [id])
        let scaled: UUID = try evil.queryRow(SQL("test_evil_scale", "select berth.scale_cluster($1, $2, $3::pg_catalog.int4) as id"),
                                             ["acme", "c1", Int32(3)])!.decode("id")
        #expect(scaled == id)
        #expect(throws: PostgresError.self) {
            try evil.query(SQL("test_evil_scale_bad", "select berth.scale_cluster($1, $2, $3::pg_catalog.int4)"), ["acme", "c1", Int32(500)])
        }
        let deleted: UUID = try evil.queryRow(SQL("test_evil_delete", "select berth.delete_cluster($1, $2) as id"), ["acme", "c1"])!
            .decode("id")
        #expect(deleted == id)
        // A refusal runs the same code paths up to the error.
        #expect(throws: PostgresError.self) {
            try evil.query(SQL("test_evil_bad", "select berth.create_cluster($1, $2, $3::pg_catalog.jsonb)"), ["acme", "c2", JSONText(#"{"region": "mars"}"#)])
        }

        #expect(try w.admin.queryRow(Self.isSuperuser, [w.attacker.name])!.decode("rolsuper", as: Bool.self) == false,
                "the attacker became superuser")
        let loot = try evil.query(Self.loot).map { try $0.decode("what", as: String.self) }
        #expect(loot.isEmpty, "code of the caller ran inside the API functions: \(loot.prefix(3))")

        // berth.cancel_job is SECURITY DEFINER as well.
        let job = try evil.queryRow(SQL("test_evil_job", "select id from berth.jobs where kind = 'cluster.delete'"))!.decode("id", as: Int64.self)
        _ = try evil.queryRow(SQL("test_evil_cancel", "select berth.cancel_job($1) as state"), [job])
        #expect(try evil.query(Self.loot).isEmpty)
        #expect(try w.admin.queryRow(Self.isSuperuser, [w.attacker.name])!.decode("rolsuper", as: Bool.self) == false)

        // And the attacker still reads nothing it may not.
        let denied = try #require(throws: PostgresError.self) {
            try evil.query(SQL("test_evil_tenants", "select secret_ciphertext from berth.tenants"))
        }
        #expect(denied.sqlState == "42501")
    }

    /// Postgres never looks up an unqualified function or operator in pg_temp, even when the
    /// path lists it first: what lets the migration leave operators unqualified.
    @Test func pgTempOperatorsAreNeverFoundByName() throws {
        let w = try World()
        let evil = try w.attacker.connect()
        try evil.executeScript(Self.booby(trap: w.attacker.name) + """
            set search_path = pg_temp, pg_catalog;
            create temp table probe as select 'a'::pg_catalog.text = 'a'::pg_catalog.text as eq, '{"k": 1}'::pg_catalog.jsonb ? 'k' as has;
            """, operation: "test_operator_lookup")
        #expect(try evil.query(Self.loot).isEmpty)
        // Only an explicit OPERATOR(pg_temp.=) reaches it.
        _ = try evil.query(SQL("test_explicit_op", "select 'a'::pg_catalog.text operator(pg_temp.=) 'a'::pg_catalog.text as eq"))
        #expect(try evil.query(Self.loot).count == 1)
    }

    /// Every function in the schema (the SECURITY DEFINER ones, every function they can reach,
    /// and the queue's) pins the path with pg_temp last; a function added later without it
    /// fails here.
    @Test func everyFunctionPinsItsSearchPath() throws {
        let w = try World()
        let rows = try w.admin.query(SQL("test_function_configs", """
            select p.proname::text as name, p.oid::regprocedure::text as function, p.prosecdef as definer,
                   coalesce(array_to_string(p.proconfig, ';'), '') as config
              from pg_proc p join pg_namespace n on n.oid = p.pronamespace
             where n.nspname = 'berth'
            """))
        var definers: Set<String> = []
        for row in rows {
            let function: String = try row.decode("function")
            let config: String = try row.decode("config")
            #expect(config.contains("search_path=pg_catalog, berth, pg_temp"), "\(function): \(config)")
            if try row.decode("definer", as: Bool.self) { definers.insert(try row.decode("name")) }
        }
        #expect(definers == ["create_cluster", "scale_cluster", "delete_cluster", "cancel_job", "delete_tenant"])
    }

    /// A function the owner adds later is not callable by clients until it is granted.
    @Test func aNewFunctionIsNotExecutableByClients() throws {
        let w = try World()
        try w.admin.executeScript("create function berth.added_later() returns int language sql as 'select 1'",
                                  operation: "test_add_function")
        let client = try w.attacker.connect()
        let error = try #require(throws: PostgresError.self) {
            try client.query(SQL("test_call_new", "select berth.added_later()"))
        }
        #expect(error.sqlState == "42501", "\(error)")
        // Granting is what opens it.
        try w.admin.executeScript("grant execute on function berth.added_later() to berth_client", operation: "test_grant_new")
        #expect(try client.query(SQL("test_call_new_granted", "select berth.added_later() as one")).count == 1)
    }
}
