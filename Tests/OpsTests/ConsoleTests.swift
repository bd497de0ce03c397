import Foundation
import Postgres
import Provisioning
import Queue
import Testing
import TestSupport

/// `berth console` over HTTP: sign-in, sessions and CSRF, what a tenant-bound user can see and
/// do, escaping, actions, and live events.
@Suite struct ConsoleTests {
    @Test func signInSetsAStrictHttpOnlySessionAndWrongPasswordsAreRefused() throws {
        let h = try ConsoleHarness()
        let client = WebClient(port: h.port)
        #expect(try client.get("/").status == 303)  // not signed in: to the sign-in page
        let form = try client.get("/login")
        let token = try #require(WebClient.csrf(in: form.body))
        let wrong = try client.post("/login", form: ["csrf": token, "name": "ops", "password": "not-the-password"])
        #expect(wrong.status == 401)
        #expect(wrong.body.contains("Wrong user name or password"))
        let unknown = try client.post("/login", form: ["csrf": WebClient.csrf(in: wrong.body) ?? "", "name": "nobody", "password": "whatever-password"])
        #expect(unknown.status == 401)
        // The sign-in form's own CSRF token must match its cookie.
        let forged = WebClient(port: h.port)
        #expect(try forged.post("/login", form: ["csrf": "x", "name": "ops", "password": ConsoleHarness.operatorPassword]).status == 403)

        let answer = try client.post("/login", form: ["csrf": WebClient.csrf(in: unknown.body) ?? "", "name": "ops",
                                                      "password": ConsoleHarness.operatorPassword])
        #expect(answer.status == 303)
        let session = try #require(answer.setCookies.first { $0.hasPrefix("berth_session=") })
        #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/"))
        #expect(!session.contains("Secure"))  // only with --secure-cookies
        let overview = try client.get("/")
        #expect(overview.status == 200)
        #expect(overview.body.contains("id=\"who\">ops<"))
        #expect(overview.header("content-security-policy")?.contains("script-src 'self'") == true)
        #expect(overview.header("x-frame-options") == "DENY")
        // The table holds a hash of the token, never the token.
        let token64 = try #require(client.cookies["berth_session"])
        #expect(try h.count("select count(*) as n from berth.console_sessions where token_hash = sha256(convert_to($1, 'UTF8'))", [token64]) == 1)

        // Signing out ends the session for good.
        let logout = try client.post("/logout", form: ["csrf": WebClient.csrf(in: overview.body) ?? ""])
        #expect(logout.status == 303)
        let replay = WebClient(port: h.port)
        replay.cookies["berth_session"] = token64
        #expect(try replay.get("/").status == 303)
    }

    @Test func everyPostNeedsTheSessionsCSRFTokenAndOurOrigin() throws {
        let h = try ConsoleHarness()
        let jobId = try #require(try h.connection.queryRow(SQL("t_create_job", "select create_job from berth.clusters where id = $1"), [h.clusterA])?
            .decode("create_job", as: Int64.self))
        let client = try h.signIn("ops", password: ConsoleHarness.operatorPassword)
        let page = try client.get("/jobs/\(jobId)")
        let token = try #require(WebClient.csrf(in: page.body))
        #expect(try client.post("/jobs/\(jobId)/cancel", form: [:]).status == 403)
        #expect(try client.post("/jobs/\(jobId)/cancel", form: ["csrf": "forged"]).status == 403)
        #expect(try client.post("/jobs/\(jobId)/cancel", form: ["csrf": token], headers: ["Origin: http://evil.example"]).status == 403)
        #expect(try h.count("select count(*) as n from berth.jobs where id = $1 and state = 'cancelled'", [jobId]) == 0)
        let done = try client.post("/jobs/\(jobId)/cancel", form: ["csrf": token], headers: ["Origin: http://127.0.0.1:\(h.port)"])
        #expect(done.status == 303)
        #expect(try h.count("select count(*) as n from berth.jobs where id = $1 and state = 'cancelled'", [jobId]) == 1)
        #expect(try client.get("/jobs/\(jobId)?done=cancelled").body.contains("Cancel requested."))
    }

    @Test func aTenantUserSeesAndActsForItsTenantOnly() throws {
        let h = try ConsoleHarness()
        let alice = try h.signIn("alice", password: ConsoleHarness.tenantPassword)
        // Its own cluster, yes; the other tenant's: the same 404 as a cluster that does not exist.
        let own = try alice.get("/clusters/\(h.clusterA!.uuidString.lowercased())")
        #expect(own.status == 200)
        #expect(own.body.contains("Cluster etl"))
        #expect(!own.body.contains("id=\"resources\""))  // berth.steps is the owner's
        let other = try alice.get("/clusters/\(h.clusterB!.uuidString.lowercased())")
        #expect(other.status == 404)
        #expect(try alice.get("/clusters/\(UUID().uuidString.lowercased())").body.contains("among the clusters you may see"))
        #expect(try alice.get("/clusters/\(h.clusterB!.uuidString.lowercased())/events").status == 404)

        let list = try alice.get("/clusters")
        #expect(list.body.contains(">etl<") && !list.body.contains(">web<"))
        // A filter naming the other tenant finds nothing (row-level security, not a Swift filter).
        #expect(!(try alice.get("/clusters?tenant=\(h.tenantB)")).body.contains(">web<"))
        let jobs = try alice.get("/jobs")
        #expect(jobs.body.contains(h.tenantA) && !jobs.body.contains(h.tenantB))
        #expect(try alice.get("/tenants").status == 403)

        // Acting on the other tenant's job or cluster is refused by the database, and nothing changes.
        let otherJob = try #require(try h.connection.queryRow(SQL("t_other_job", "select create_job from berth.clusters where id = $1"), [h.clusterB])?
            .decode("create_job", as: Int64.self))
        let token = try #require(WebClient.csrf(in: own.body))
        let cancel = try alice.post("/jobs/\(otherJob)/cancel", form: ["csrf": token])
        #expect(cancel.status == 400)
        #expect(cancel.body.contains("among the jobs of the tenants this role may act for"))
        #expect(try alice.post("/clusters/\(h.clusterB!.uuidString.lowercased())/delete", form: ["csrf": token]).status == 404)
        #expect(try alice.post("/jobs/\(otherJob)/retry", form: ["csrf": token]).status == 403)
        #expect(try h.count("select count(*) as n from berth.jobs where tenant = $1 and (state <> 'queued' or cancel_requested)", [h.tenantB]) == 0)
        #expect(try h.count("select count(*) as n from berth.clusters where tenant = $1 and desired = 'running'", [h.tenantB]) == 1)

        // Its own cluster it may delete.
        let delete = try alice.post("/clusters/\(h.clusterA!.uuidString.lowercased())/delete", form: ["csrf": token])
        #expect(delete.status == 200)
        #expect(delete.body.contains("Delete requested"))
        #expect(try h.count("select count(*) as n from berth.clusters where id = $1 and desired = 'deleted'", [h.clusterA]) == 1)
        // The console acted as the tenant's role: the API recorded no other caller.
        #expect(try h.count("select count(*) as n from berth.tenant_grants where tenant = $1 and role::text = $2",
                            [h.tenantA, "berth_console_\(h.tenantA)"]) == 1)
    }

    @Test func namesAndMessagesFromUsersAreEscaped() throws {
        let h = try ConsoleHarness()
        let hostile = "<script>alert('x')</script>&\""
        let ids = try JobQueue(h.connection).enqueue(.init(kind: hostile, tenant: h.tenantA))
        _ = try h.connection.query(SQL("t_event", """
            insert into berth.events (tenant, cluster_id, cluster_name, type, message) values ($1, $2, 'etl', 'note', $3)
            """), [h.tenantA, h.clusterA, hostile])
        let client = try h.signIn("ops", password: ConsoleHarness.operatorPassword)
        for path in ["/jobs", "/jobs/\(ids[0])", "/jobs?kind=\(WebClient.encode(hostile))", "/clusters/\(h.clusterA!.uuidString.lowercased())"] {
            let page = try client.get(path)
            #expect(page.status == 200, "\(path)")
            #expect(!page.body.contains("<script>alert"), "\(path)")
            #expect(page.body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"), "\(path)")
        }
        // A bad filter value is quoted back escaped, with what is allowed.
        let bad = try client.get("/clusters?state=\(WebClient.encode(hostile))")
        #expect(bad.status == 400)
        #expect(bad.body.contains("state &#39;&lt;script&gt;") && bad.body.contains("pending, starting, ready"))
    }

    @Test func anOperatorRetriesAndSeesAttemptsAndResources() throws {
        let h = try ConsoleHarness()
        let queue = JobQueue(h.connection)
        let id = try #require(try queue.enqueue(.init(kind: "noop", tenant: h.tenantA, maxAttempts: 1)).first)
        let job = try #require(try queue.claim(worker: "test", limit: 10, leaseSeconds: 30).first { $0.id == id })
        #expect(try queue.finish(job: job, token: #require(job.leaseToken), succeeded: false, error: "boom: disk on fire"))
        let client = try h.signIn("ops", password: ConsoleHarness.operatorPassword)
        let page = try client.get("/jobs/\(id)")
        #expect(page.body.contains("boom: disk on fire"))
        #expect(page.body.contains("id=\"retry-job\""))
        #expect(try client.get("/jobs?state=failed").body.contains("/jobs/\(id)\""))
        let retried = try client.post("/jobs/\(id)/retry", form: ["csrf": WebClient.csrf(in: page.body) ?? ""])
        #expect(retried.status == 303)
        #expect(try queue.get(id: id)?.state == .queued)
        let cluster = try client.get("/clusters/\(h.clusterA!.uuidString.lowercased())")
        #expect(cluster.body.contains("id=\"resources\""))
        let tenants = try client.get("/tenants")
        #expect(tenants.status == 200 && tenants.body.contains(h.tenantA) && tenants.body.contains(h.tenantB))
    }

    @Test func aClustersEventsStreamLiveOverServerSentEvents() throws {
        let h = try ConsoleHarness()
        let alice = try h.signIn("alice", password: ConsoleHarness.tenantPassword)
        let stream = try EventStreamReader(port: h.port, path: "/clusters/\(h.clusterA!.uuidString.lowercased())/events?after=0",
                                           cookie: "berth_session=\(alice.cookies["berth_session"] ?? "")")
        defer { stream.stop() }
        // What was there before the stream opened arrives first.
        try poll(timeout: 20, "the cluster's first event") { stream.text.contains("cluster requested") }
        // Then events as they are committed: the other tenant's never.
        let insert = SQL("t_live_event", "insert into berth.events (tenant, cluster_id, cluster_name, type, message) values ($1, $2, $3, 'note', $4)")
        _ = try h.connection.query(insert, [h.tenantB, h.clusterB, "web", "secret of the other tenant"])
        _ = try h.connection.query(insert, [h.tenantA, h.clusterA, "etl", "live message one"])
        try poll(timeout: 20, "the live event") { stream.text.contains("live message one") }
        #expect(!stream.text.contains("secret of the other tenant"))
        #expect(stream.text.contains("event: event"))
    }

    @Test func usersAreAddedFromStandardInputAndNeverPrinted() throws {
        let h = try ConsoleHarness()
        let short = try runBerth(["console", "user", "add", "bob"], environment: h.environment, stdin: "short\n")
        #expect(short.status == 2)
        #expect(short.output.contains("12-1024 bytes"))
        let badName = try runBerth(["console", "user", "add", "Bob<x>"], environment: h.environment, stdin: "long-enough-password\n")
        #expect(badName.status == 2 && badName.output.contains("'Bob<x>' is not allowed"))
        let twice = try runBerth(["console", "user", "add", "ops"], environment: h.environment, stdin: "long-enough-password\n")
        #expect(twice.status == 2 && twice.output.contains("already exists"))
        let noTenant = try runBerth(["console", "user", "add", "carol", "--tenant", "nosuch"], environment: h.environment, stdin: "long-enough-password\n")
        #expect(noTenant.status == 2 && noTenant.output.contains("unknown tenant 'nosuch'"))

        let list = try runBerth(["console", "user", "list", "--json"], environment: h.environment)
        #expect(list.status == 0)
        #expect(list.output.contains("\"alice\"") && list.output.contains(h.tenantA))
        #expect(!list.output.contains("pbkdf2") && !list.output.contains(ConsoleHarness.tenantPassword))
        let stored = try #require(try h.connection.queryRow(SQL("t_hash", "select password_hash from berth.console_users where name = 'alice'"))?
            .decode("password_hash", as: String.self))
        #expect(stored.hasPrefix("pbkdf2-sha256$600000$") && !stored.contains(ConsoleHarness.tenantPassword))

        let client = try h.signIn("alice", password: ConsoleHarness.tenantPassword)
        #expect(try runBerth(["console", "user", "delete", "alice"], environment: h.environment).status == 0)
        #expect(try client.get("/").status == 303)  // sessions went with the user
        #expect(try runBerth(["console", "user", "delete", "alice"], environment: h.environment).status == 2)
    }
}

/// Reads a server-sent event stream with curl in the background.
final class EventStreamReader: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var data = Data()

    init(port: Int, path: String, cookie: String, maxSeconds: Int = 60) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-N", "--max-time", "\(maxSeconds)", "-H", "Cookie: \(cookie)", "http://127.0.0.1:\(port)\(path)"]
        let out = Pipe.closedOnExec()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self else { return }
            self.lock.withLock { self.data.append(chunk) }
        }
        try process.run()
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    func stop() {
        if process.isRunning { process.terminate() }
    }
}
