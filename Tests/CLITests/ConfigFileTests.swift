import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// The CLI's config file and the whole precedence chain through `berth cluster create`: the
/// parser lives in the `berth` executable, so these run it and read the stored spec. (The
/// layering itself is unit-tested in ProvisioningTests/SpecPrecedenceTests.)
@Suite struct ConfigFileTests {
    final class World: @unchecked Sendable {
        let db: TestDatabase
        let connection: Connection
        let home: URL

        init() throws {
            db = try TestDatabase.create()
            connection = try db.connect()
            home = FileManager.default.temporaryDirectory.appendingPathComponent("berth-xdg-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: home.appendingPathComponent("berth"), withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: home) }

        func writeConfig(_ text: String) throws {
            try Data(text.utf8).write(to: home.appendingPathComponent("berth/config.yaml"))
        }

        func tenant(_ name: String, backend: String = "ecs", region: String? = nil) throws {
            var tenant = TenantStore.NewTenant(name: name)
            tenant.defaultBackend = try Backend(parsing: backend)
            tenant.defaultRegion = region
            try TenantStore(connection).create(tenant)
        }

        /// Runs `berth ARGS` with only the given settings: the test process's own
        /// DATABASE_URL / BERTH_* are blanked (empty means unset).
        func berth(_ arguments: [String], _ environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
            var env = ["XDG_CONFIG_HOME": home.path, "DATABASE_URL": db.url, "BERTH_REGION": "", "BERTH_FARGATE_SPOT": "",
                       "BERTH_BACKEND": "", "BERTH_LISTEN_DATABASE_URL": "", "BERTH_DATABASE_POOL_MODE": ""]
            env.merge(environment) { $1 }
            return try runBerth(arguments, environment: env)
        }

        /// `berth cluster create NAME --tenant T ARGS`, then the stored (region, fargate_spot, backend).
        func create(_ name: String, tenant: String, _ arguments: [String] = [], _ environment: [String: String] = [:]) throws
            -> (region: String, fargateSpot: Bool?, backend: String) {
            let result = try berth(["cluster", "create", name, "--tenant", tenant] + arguments, environment)
            try #require(result.status == 0, "\(arguments) \(environment): \(result.output)")
            let row = try #require(try connection.queryRow(SQL("test_cli_spec", """
                select spec ->> 'region' as region, (spec -> 'fargate_spot')::boolean as fargate_spot, spec ->> 'backend' as backend
                  from berth.clusters where tenant = $1 and name = $2
                """), [tenant, name]))
            return (try row.decode("region"), try row.decodeIfPresent("fargate_spot"), try row.decode("backend"))
        }
    }

    @Test func precedenceFlagThenEnvironmentThenFileThenTenantThenSystem() throws {
        let w = try World()
        try w.tenant("plain")
        try w.tenant("euro", region: "eu-west-2")

        // No file, no environment, no flag: the tenant's default, else the system's.
        var got = try w.create("n1", tenant: "plain")
        #expect(got.region == "us-east-2" && got.fargateSpot == false)
        got = try w.create("n2", tenant: "euro")
        #expect(got.region == "eu-west-2" && got.fargateSpot == false)

        // The file only (its database-url is used too: DATABASE_URL is blank).
        try w.writeConfig("""
            # Berth CLI defaults
            database-url: "\(w.db.url)"
            backend-options:
              region: us-west-1   # comment after a value
              fargate_spot: true

            """)
        got = try w.create("f1", tenant: "euro", [], ["DATABASE_URL": ""])
        #expect(got.region == "us-west-1" && got.fargateSpot == true)

        // The environment beats the file.
        got = try w.create("e1", tenant: "euro", [], ["BERTH_REGION": "eu-central-1", "BERTH_FARGATE_SPOT": "false"])
        #expect(got.region == "eu-central-1" && got.fargateSpot == false)

        // A flag beats the environment.
        got = try w.create("x1", tenant: "euro", ["--region", "us-east-1", "--fargate-spot"],
                           ["BERTH_REGION": "eu-central-1", "BERTH_FARGATE_SPOT": "false"])
        #expect(got.region == "us-east-1" && got.fargateSpot == true)
        got = try w.create("x2", tenant: "euro", ["--no-fargate-spot"], ["BERTH_FARGATE_SPOT": "true"])
        #expect(got.region == "us-west-1" && got.fargateSpot == false)

        // A key in --spec beats the environment and the file (they are defaults).
        got = try w.create("s1", tenant: "euro", ["--spec", #"{"region": "us-east-1", "fargate_spot": false}"#],
                           ["BERTH_REGION": "eu-central-1"])
        #expect(got.region == "us-east-1" && got.fargateSpot == false)

        // A bad value in the environment is bad input.
        let bad = try w.berth(["cluster", "create", "b1", "--tenant", "euro"], ["BERTH_FARGATE_SPOT": "maybe"])
        #expect(bad.status == 2 && bad.output.contains("BERTH_FARGATE_SPOT must be true or false"), "\(bad.output)")
    }

    /// The file's default `fargate_spot` is an ECS option: it must not break clusters of a
    /// tenant whose default backend is vm when the request names no backend.
    @Test func fileDefaultsRespectTheTenantsBackend() throws {
        let w = try World()
        try w.tenant("vms", backend: "vm")
        try w.writeConfig("backend-options:\n  fargate_spot: true\n  region: eu-west-2\n")
        let got = try w.create("v1", tenant: "vms")
        #expect(got.backend == "vm" && got.fargateSpot == nil && got.region == "eu-west-2")
        // Asking for ecs explicitly still gets the file's fargate_spot.
        let ecs = try w.create("e1", tenant: "vms", ["--backend", "ecs"])
        #expect(ecs.backend == "ecs" && ecs.fargateSpot == true)
    }

    /// The pool mode and the listen URL, like the database URL: flag, then environment, then file.
    /// In transaction mode a command that LISTENs or takes a session lock needs a listen URL.
    @Test func poolModeAndListenURLFromFlagsEnvironmentAndFile() throws {
        let w = try World()
        try w.writeConfig("database-pool-mode: transaction\n")
        // Statements work in transaction mode (here straight to PostgreSQL: nothing depends on a session).
        let status = try w.berth(["status"])
        #expect(status.status == 0, "\(status.output)")
        let refused = try w.berth(["migrate", "--dry-run"])
        #expect(refused.status == 2 && refused.output.contains("--listen-database-url"), "\(refused.output)")
        // A listen URL from the environment, or a flag that says session, lets it run.
        #expect(try w.berth(["migrate", "--dry-run"], ["BERTH_LISTEN_DATABASE_URL": w.db.url]).status == 0)
        #expect(try w.berth(["migrate", "--dry-run", "--database-pool-mode", "session"]).status == 0)
        try w.writeConfig("database-pool-mode: transaction\nlisten-database-url: '\(w.db.url)'\n")
        #expect(try w.berth(["migrate", "--dry-run"]).status == 0)

        let bad = try w.berth(["status"], ["BERTH_DATABASE_POOL_MODE": "statement"])
        #expect(bad.status == 2 && bad.output.contains("BERTH_DATABASE_POOL_MODE is 'statement': use session or transaction"), "\(bad.output)")
        let badURL = try w.berth(["status", "--listen-database-url", "postgresql://u:sekrit@db/x?nosuch=1"])
        #expect(badURL.status == 2 && badURL.output.contains("--listen-database-url is not a valid libpq connection string"), "\(badURL.output)")
        #expect(!badURL.output.contains("sekrit"))
    }

    /// Real YAML, so other spellings and flow style work too.
    @Test func fileSpellingsAndFlowStyle() throws {
        let w = try World()
        try w.tenant("plain")
        try w.writeConfig("database_url: '\(w.db.url)'\nbackend_options: {region: eu-central-1, fargate-spot: on}\n")
        let got = try w.create("y1", tenant: "plain", [], ["DATABASE_URL": ""])
        #expect(got.region == "eu-central-1" && got.fargateSpot == true)
    }

    /// The nightly sweep's mode, from the flag or the file: a value that is not off, dry-run or
    /// apply stops the worker before it starts (exit 2), naming what is allowed.
    @Test func aBadNightlySweepModeIsBadInput() throws {
        let w = try World()
        let flag = try w.berth(["worker", "--nightly-sweep", "sometimes"])
        #expect(flag.status == 2 && flag.output.contains("nightly sweep 'sometimes': use one of off, dry-run, apply"), "\(flag.output)")
        try w.writeConfig("nightly-sweep: weekly\n")
        let file = try w.berth(["worker"])
        #expect(file.status == 2 && file.output.contains("nightly sweep 'weekly'"), "\(file.output)")
    }

    static let malformed: [(text: String, phrase: String)] = [
        ("backend-options:\n  region: us-west-1\n  colour blue\n", "line 3: while scanning a simple key, could not find expected ':' (line 4, column 1)"),
        ("database-url: x\nregion: us-west-1\n", "line 2: unknown key 'region'; allowed: database-url, listen-database-url, database-pool-mode, backend-options"),
        ("# defaults\n\nbackend-options:\n  fargate_spot: sometimes\n", "line 4: fargate_spot must be true or false, got 'sometimes'"),
        ("backend-options:\n  zone: a\n", "line 2: unknown backend option 'zone'; allowed: region, fargate_spot, backend"),
        // Indenting the top level is valid YAML: the key is still unknown there.
        ("  region: us-west-1\n", "line 1: unknown key 'region'; allowed: database-url, listen-database-url, database-pool-mode, backend-options"),
        ("backend-options: us-west-1\n", "line 1: backend-options holds indented keys (region, fargate_spot, backend), got 'us-west-1'"),
        // A typo is never ignored.
        ("backend-option:\n  region: us-west-1\n", "line 1: unknown key 'backend-option'; allowed: database-url, listen-database-url, database-pool-mode, backend-options"),
        // Wrong types name the key and what it takes.
        ("database-url:\n  host: db\n", "line 1: database-url must be text, got a map"),
        ("backend-options:\n  region: [us-east-1, us-west-1]\n", "line 2: region must be text, got a list"),
        ("backend-options:\n  fargate_spot: [true]\n", "line 2: fargate_spot must be true or false, got a list"),
        ("- region\n", "line 1: the file must be a map of keys (database-url, listen-database-url, database-pool-mode, backend-options), got a list"),
        // A key given twice, under one spelling or two.
        ("backend-options:\n  region: us-east-1\n  region: us-west-1\n", "line 2: 'region' given twice"),
        ("backend-options:\n  fargate_spot: true\n  fargate-spot: false\n", "line 3: fargate_spot is given twice (as fargate_spot and fargate-spot)"),
        ("backend-options:\n  region: us-east-1\n---\nbackend-options: {}\n", "line 1: expected a single document in the stream, but found another document (line 3, column 1)"),
    ]

    @Test(arguments: 0..<malformed.count)
    func aMalformedFileIsBadInputWithItsLineNumber(_ index: Int) throws {
        let w = try World()
        try w.tenant("plain")
        try w.writeConfig(Self.malformed[index].text)
        let result = try w.berth(["cluster", "create", "c1", "--tenant", "plain"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("config.yaml: " + Self.malformed[index].phrase), "\(result.output)")
        #expect(try w.connection.queryRow(SQL("test_cli_count", "select count(*) as n from berth.clusters"))!.decode("n", as: Int.self) == 0)
    }

    /// "Billion laughs" in YAML: ten lists of ten aliases, nine levels deep. Yams shares
    /// aliased nodes while composing, so as values they are refused by counting; as mapping
    /// keys Yams hashes them while composing, which only the deadline stops.
    static func aliasBomb(keys: Bool) -> String {
        var text = "a0: &a0 [" + Array(repeating: "lol", count: 10).joined(separator: ", ") + "]\n"
        for level in 1...8 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        return text + (keys ? "b:\n  ? *a8\n  : 1\n  ? *a7\n  : 2\n" : "backend-options:\n  region: *a8\n")
    }

    @Test(arguments: [false, true])
    func anAliasBombIsRefusedInBoundedTime(keys: Bool) throws {
        let w = try World()
        try w.tenant("plain")
        try w.writeConfig(Self.aliasBomb(keys: keys))
        let clock = ContinuousClock()
        let start = clock.now
        let result = try runBerth(["cluster", "create", "c1", "--tenant", "plain"],
                                  environment: ["XDG_CONFIG_HOME": w.home.path, "DATABASE_URL": w.db.url], timeout: 60)
        // Loose: the key case waits out the 5 s compose deadline; a debug build on a loaded machine.
        #expect(clock.now - start < .seconds(50))
        #expect(result.status == 2, "\(result.output)")
        let phrase = keys ? "reading it took over 5 s (YAML aliases used as keys?); refused" : "its YAML aliases expand to more than 10000 values; refused"
        #expect(result.output.contains("config.yaml: " + phrase), "\(result.output)")
    }
}
