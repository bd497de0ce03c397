import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// What the CLI prints and how it exits, for input and database values a hostile user
/// controls: terminal control characters, negative and huge numbers, passwords in database
/// URLs, a reader that goes away.
@Suite struct CLIOutputTests {
    /// A terminal title change (OSC 0), as an attacker would put it in an event message.
    static let osc = "\u{1b}]0;pwned\u{07}"

    /// True when `text` holds a control character a terminal would act on (C0 other than
    /// newline and tab, DEL, C1).
    static func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) }
    }

    static func config(databaseURL: String) throws -> (home: String, cleanup: () -> Void) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("berth-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("berth"), withIntermediateDirectories: true)
        try Data("database-url: \(databaseURL)\n".utf8).write(to: home.appendingPathComponent("berth/config.yaml"))
        return (home.path, { try? FileManager.default.removeItem(at: home) })
    }

    @Test func controlCharactersAreEscapedInEverythingPrinted() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        let env = ["DATABASE_URL": db.url, "XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        let tenant = try TenantStore(connection).create(TenantStore.NewTenant(name: "esc"))
        let id = try ClusterStore(connection).create(tenant: tenant.name, name: "c1")
        // Event messages, cluster errors, job errors and job args are free text.
        try connection.execute(SQL("test_osc_event", """
            insert into berth.events (tenant, cluster_id, cluster_name, type, message) values ($1, $2, 'c1', 'info', $3)
            """), [tenant.name, id, "look: \(Self.osc) DEL\u{7f} CSI\u{9b}2J"])
        try connection.execute(SQL("test_osc_error", "update berth.clusters set error = $2 where id = $1"), [id, "failed \(Self.osc)"])
        let enqueued = try runBerth(["jobs", "enqueue", "noop", "--args", #"{"note": "\u001b]0;pwned\u0007"}"#, "--tenant", "esc"],
                                    environment: env)
        #expect(enqueued.status == 0, "\(enqueued.output)")
        let job = enqueued.output.trimmingCharacters(in: .whitespacesAndNewlines)
        try connection.execute(SQL("test_osc_job", "update berth.jobs set last_error = $2 where id = $1::bigint"), [job, "boom \(Self.osc)"])

        let text: [[String]] = [["events", "--tenant", "esc"], ["cluster", "show", "c1", "--tenant", "esc"], ["cluster", "list"],
                                ["jobs", "show", job], ["jobs", "list"]]
        for arguments in text {
            let result = try runBerth(arguments, environment: env)
            #expect(result.status == 0, "\(arguments): \(result.output)")
            #expect(!Self.hasControl(result.output), "\(arguments) printed a control character: \(result.output.debugDescription)")
            #expect(result.output.contains("]0;pwned"), "\(arguments): \(result.output)")
        }
        let events = try runBerth(["events", "--tenant", "esc"], environment: env).output
        #expect(events.contains(#"look: \x1b]0;pwned\x07 DEL\x7f CSI\u009b2J"#), "\(events)")
        for arguments in [["events", "--tenant", "esc", "--json"], ["cluster", "show", "c1", "--tenant", "esc", "--json"],
                          ["jobs", "show", job, "--json"]] {
            let result = try runBerth(arguments, environment: env)
            #expect(result.status == 0 && !Self.hasControl(result.output), "\(arguments): \(result.output.debugDescription)")
            #expect(result.output.contains(#"\u001b]0;pwned\u0007"#), "\(arguments): \(result.output)")
        }
        let json = try runBerth(["events", "--tenant", "esc", "--json"], environment: env).output
        #expect(json.contains(#"DEL\u007f CSI\u009b2J"#), "\(json)")

        // Input echoed in errors: the CLI's own messages and the argument parser's.
        for arguments in [["cluster", "show", "x\(Self.osc)", "--tenant", "esc"], ["jobs", "list", "--state", Self.osc],
                          ["cluster", "list", "--\(Self.osc)"]] {
            let result = try runBerth(arguments, environment: env)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(!Self.hasControl(result.output), "\(arguments): \(result.output.debugDescription)")
            #expect(result.output.contains(#"\x1b]0;pwned\x07"#), "\(arguments): \(result.output)")
        }
    }

    @Test func aClosedStandardOutputIsAQuietSuccess() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        let tenant = try TenantStore(connection).create(TenantStore.NewTenant(name: "pipe"))
        _ = try ClusterStore(connection).create(tenant: tenant.name, name: "c1")
        let env = ["DATABASE_URL": db.url, "XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        // `berth events --follow | head -1` must end when head does, not follow forever.
        for arguments in [["iam-policy"], ["events", "--tenant", "pipe", "--follow"], ["jobs", "list"], ["tenant", "list"]] {
            let ended = try runBerthWithClosedStdout(arguments, environment: env)
            #expect(ended.signal == nil, "\(arguments) was killed by signal \(ended.signal ?? 0)")
            #expect(ended.status == 0, "\(arguments): exit \(String(describing: ended.status)): \(ended.stderr)")
            #expect(ended.stderr.isEmpty, "\(arguments): \(ended.stderr)")
        }
        // A failure still fails: its message goes to standard error.
        let missing = try runBerthWithClosedStdout(["jobs", "show", "987654"], environment: env)
        #expect(missing.status == 2 && missing.stderr.contains("no job with id 987654"), "\(missing)")
    }

    @Test func missingJobsAreBadInput() throws {
        let db = try TestDatabase.create()
        let env = ["DATABASE_URL": db.url, "XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        for verb in ["show", "cancel", "retry"] {
            let result = try runBerth(["jobs", verb, "987654"], environment: env)
            #expect(result.status == 2, "jobs \(verb): \(result.output)")
            #expect(result.output.contains("no job with id 987654"), "jobs \(verb): \(result.output)")
        }
        let cluster = try runBerth(["cluster", "show", "nope", "--tenant", "nobody"], environment: env)
        #expect(cluster.status == 2, "\(cluster.output)")
    }

    @Test func databaseURLPasswordsAreNeverPrinted() throws {
        let db = try TestDatabase.create()
        let password = "Pw-s3cret-\(UUID().uuidString.prefix(8))"
        let malformed = [
            "postgresql://berth:\(password)@[::1/berth",                   // libpq quotes the whole URI
            "postgresql://berth:\(password)%zz@127.0.0.1/berth",           // libpq quotes the bad %-token: the password
            "postgresql://berth@127.0.0.1/berth?password=\(password)&bad",  // a query parameter without '='
            "host=127.0.0.1 password=\(password) bogus",                   // key=value form
        ]
        let base = ["XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        for url in malformed {
            for (arguments, environment) in [(["status"], ["DATABASE_URL": url]), (["jobs", "list"], ["DATABASE_URL": url]),
                                             (["jobs", "list", "--database-url", url], ["DATABASE_URL": ""]),
                                             (["worker"], ["DATABASE_URL": url])] {
                let result = try runBerth(arguments, environment: base.merging(environment) { $1 })
                #expect(result.status == 2, "\(arguments) with \(url): \(result.output)")
                #expect(!result.output.contains(password), "\(arguments) printed the password: \(result.output)")
                #expect(result.output.contains("***"), "\(arguments): \(result.output)")
                #expect(result.output.contains("not a valid libpq connection string"), "\(arguments): \(result.output)")
            }
        }
        // The config file's value: the same.
        let file = try Self.config(databaseURL: malformed[0])
        defer { file.cleanup() }
        let fromFile = try runBerth(["status"], environment: ["DATABASE_URL": "", "XDG_CONFIG_HOME": file.home])
        #expect(fromFile.status == 2 && !fromFile.output.contains(password), "\(fromFile.output)")
        #expect(fromFile.output.contains("database-url in \(file.home)/berth/config.yaml is not a valid"), "\(fromFile.output)")
        #expect(fromFile.output.contains("postgresql://berth:***@[::1/berth"), "\(fromFile.output)")

        // Well formed but nobody listens, or the password is wrong: a failure (1), password masked.
        let port = try #require(URLComponents(string: db.url)?.port)
        for url in ["postgresql://berth:\(password)@127.0.0.1:1/berth", "postgresql://nobody:\(password)@127.0.0.1:\(port)/berth"] {
            let result = try runBerth(["status"], environment: base.merging(["DATABASE_URL": url]) { $1 })
            #expect(result.status == 1, "\(url): \(result.output)")
            #expect(!result.output.contains(password), "\(result.output)")
        }
        #expect(ConnectionString.masked("postgresql://u:\(password)@h:5432/db?sslmode=require") == "postgresql://u:***@h:5432/db?sslmode=require")
        #expect(ConnectionString.masked("host=h password='a b' user=u") == "host=h password=*** user=u")
        #expect(!ConnectionString.redact("could not translate host name \"ss\"", in: "postgresql://u:p@ss@h/db").contains("\"ss\""))
    }

    @Test func statusAndJobsReadTheConfigFile() throws {
        let db = try TestDatabase.create()
        let file = try Self.config(databaseURL: db.url)
        defer { file.cleanup() }
        let env = ["DATABASE_URL": "", "XDG_CONFIG_HOME": file.home]
        for arguments in [["status"], ["jobs", "enqueue", "noop"], ["jobs", "list"], ["jobs", "cap", "acme", "3"], ["tenant", "list"]] {
            let result = try runBerth(arguments, environment: env)
            #expect(result.status == 0, "\(arguments): \(result.output)")
        }
        #expect(try db.connect().queryRow(SQL("test_jobs", "select count(*) as n from berth.jobs"))?.decode("n", as: Int.self) == 1)
    }

    @Test func numbersGetMessagesAboutTheirValue() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        try TenantStore(connection).create(TenantStore.NewTenant(name: "nums"))
        let env = ["DATABASE_URL": db.url, "XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        let cases: [([String], [String])] = [
            (["cluster", "create", "c1", "--tenant", "nums", "--workers", "-1"], ["workers must be between 0 and 100", "-1"]),
            (["cluster", "create", "c1", "--tenant", "nums", "--spec", #"{"workers": 1e400}"#], ["workers must be between 0 and 100"]),
            (["cluster", "create", "c1", "--tenant", "nums", "--spec", "1e400"], ["--spec must be a JSON object", "'1e400'"]),
            (["cluster", "create", "c1", "--tenant", "nums", "--spec", #"{"workers": "#], ["--spec is not valid JSON", #"'{"workers": '"#]),
            (["events", "--last", "-1"], ["--last must be between 0 and 10000, got -1"]),
            (["jobs", "list", "--limit", "-5"], ["--limit must be between 1 and 10000, got -5"]),
            (["jobs", "enqueue", "noop", "--count", "-2"], ["count must be at least 1", "-2"]),
            (["worker", "--concurrency", "-1"], ["concurrency must be between 1 and 1024"]),
        ]
        for (arguments, messages) in cases {
            let result = try runBerth(arguments, environment: env)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            for message in messages { #expect(result.output.contains(message), "\(arguments): \(result.output)") }
            #expect(!result.output.contains("Missing value") && !result.output.contains("must be an object"), "\(arguments): \(result.output)")
        }
        #expect(try connection.queryRow(SQL("test_clusters", "select count(*) as n from berth.clusters"))?.decode("n", as: Int.self) == 0)
        // Job args are the handler's business: a number beyond a Double is stored as Postgres reads it.
        let big = try runBerth(["jobs", "enqueue", "noop", "--args", #"{"n": 1e400}"#], environment: env)
        #expect(big.status == 0, "\(big.output)")
    }
}
