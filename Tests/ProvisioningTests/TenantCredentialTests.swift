import AWS
import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// A tenant's own AWS key: checked (long-lived only, accepted by STS), stored only as
/// AES-256-GCM ciphertext bound to its row, opened by workers, re-sealed by `tenant rekey`.
@Suite struct TenantCredentialTests {
    static func newMasterKey() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    /// Every column of the tenant's row as text (bytea as hex), and whether the raw ciphertext
    /// bytes contain the secret.
    static func rowText(_ h: ProvisioningHarness, _ tenant: String, secret: String) throws -> (texts: [String], bytesContain: Bool) {
        let rows = try h.connection.query(SQL("test_tenant_columns", """
            select value from berth.tenants t, jsonb_each_text(to_jsonb(t)) where t.name = $1
            """), [tenant])
        let texts = try rows.map { try $0.decodeIfPresent("value", as: String.self) ?? "" }
        let contains = try h.connection.queryRow(SQL("test_tenant_bytes", """
            select coalesce(position(convert_to($2, 'UTF8') in secret_ciphertext) > 0, false) as found
              from berth.tenants where name = $1
            """), [tenant, secret])!.decode("found", as: Bool.self)
        return (texts, contains)
    }

    static func hex(_ text: String) -> String { text.utf8.map { String(format: "%02x", $0) }.joined() }

    static func stored(_ h: ProvisioningHarness, _ name: String) throws -> Tenant {
        try #require(try TenantStore(h.connection).get(name: name))
    }

    /// A fresh long-lived key that the emulator maps to this test's own account.
    static func newKey(_ h: ProvisioningHarness) throws -> (id: String, secret: String) {
        let id = ProvisioningHarness.newAccessKeyId()
        try h.registerAccount(key: id, account: h.account)
        return (id, "tenantSecret/\(UUID().uuidString)+Zx")
    }

    /// `berth tenant credentials TENANT` with a fresh key of the test's account; fails the test
    /// unless it is stored.
    @discardableResult
    static func storeNewKey(_ h: ProvisioningHarness, _ tenant: String) throws -> (id: String, secret: String, output: String) {
        let key = try newKey(h)
        let result = try h.berth(["tenant", "credentials", tenant, "--access-key-id", key.id, "--secret-access-key-stdin"], stdin: key.secret)
        #expect(result.status == 0, "\(result.output)")
        return (key.id, key.secret, result.output)
    }

    @Test func storedSealedAndOpenedByAWorker() throws {
        let h = try ProvisioningHarness()
        let env = ["BERTH_LOG_LEVEL": "debug", "XDG_CONFIG_HOME": "/nonexistent-berth-config"]
        let created = try h.berth(["tenant", "create", "own-one", "--own"], extraEnvironment: env)
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("berth tenant credentials own-one"))
        let key = try Self.newKey(h)
        let stored = try h.berth(["tenant", "credentials", "own-one", "--access-key-id", key.id, "--secret-access-key-stdin"],
                                 stdin: key.secret + "\n", extraEnvironment: env)
        #expect(stored.status == 0, "\(stored.output)")
        #expect(stored.output.contains("account \(h.account)"), "\(stored.output)")
        #expect(!stored.output.contains(key.secret))

        // In the row: the key id and the master key's id; the secret nowhere, in no encoding.
        let tenant = try Self.stored(h, "own-one")
        #expect(tenant.accessKeyId == key.id)
        #expect(tenant.awsAccountId == h.account)
        let masterKey = try MasterKey(base64: h.masterKey)
        #expect(try h.count("select count(*) as n from berth.tenants where name = 'own-one' and secret_key_id = $1", [masterKey.id]) == 1)
        let row = try Self.rowText(h, "own-one", secret: key.secret)
        #expect(row.texts.contains(masterKey.id))
        #expect(!row.texts.contains { $0.contains(key.secret) || $0.contains(Self.hex(key.secret)) })
        #expect(!row.texts.contains { $0.contains(Data(key.secret.utf8).base64EncodedString()) })
        #expect(!row.bytesContain)

        // Worker side: the row opens with the master key.
        let opened = try TenantStore(h.connection).credentials(of: tenant, keys: MasterKeys(current: masterKey))
        #expect(opened.accessKeyId == key.id)
        #expect(opened.revealSecretForSealing() == key.secret)

        // `tenant list` shows the key id, never the secret.
        let list = try h.berth(["tenant", "list", "--json"], extraEnvironment: env)
        #expect(list.status == 0 && list.output.contains(key.id) && !list.output.contains(key.secret), "\(list.output)")

        // A real worker uses the tenant's key for the tenant's cluster and never logs the secret.
        let id = try h.create(tenant, "c1", spec: #"{"workers": 0}"#)
        let worker = try h.worker(extraEnvironment: ["BERTH_LOG_LEVEL": "trace"])
        defer { worker.signal(SIGKILL) }
        try h.waitFor(id, .ready, worker: worker)
        #expect(try h.proxyStats(key: key.id).forwarded > 0, "the cluster was made with the tenant's own key")
        #expect(!worker.log.contains(key.secret))
        #expect(!worker.log.isEmpty)
    }

    @Test func secretFromAFile() throws {
        let h = try ProvisioningHarness()
        try h.tenant("own-file", own: true)
        let key = try Self.newKey(h)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("berth-secret-\(UUID().uuidString)")
        try Data((key.secret + "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try h.berth(["tenant", "credentials", "own-file", "--access-key-id", key.id, "--secret-access-key-file", file.path,
                                  "--json"])
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains(key.secret))
        let opened = try TenantStore(h.connection).credentials(of: try Self.stored(h, "own-file"),
                                                               keys: MasterKeys(current: MasterKey(base64: h.masterKey)))
        #expect(opened.revealSecretForSealing() == key.secret, "read from the file, trailing newline dropped")
    }

    @Test func badInputIsRefusedAndNothingIsStored() throws {
        let h = try ProvisioningHarness()
        try h.tenant("own-bad", own: true)
        try h.tenant("managed-one")
        let key = try Self.newKey(h)
        let temporary = "ASIA" + key.id.dropFirst(4)
        let cases: [(arguments: [String], stdin: String?, message: String)] = [
            (["own-bad", "--access-key-id", temporary, "--secret-access-key-stdin"], key.secret, "long-lived"),
            (["own-bad", "--access-key-id", "not-a-key", "--secret-access-key-stdin"], key.secret, "does not look like a long-lived AWS access key id"),
            (["own-bad", "--access-key-id", key.id], nil, "exactly one of --secret-access-key-stdin or --secret-access-key-file"),
            (["own-bad", "--access-key-id", key.id, "--secret-access-key-stdin", "--secret-access-key-file", "/etc/hostname"], key.secret,
             "exactly one of"),
            (["own-bad", "--access-key-id", key.id, "--secret-access-key-file", "/nonexistent/secret"], nil, "cannot read --secret-access-key-file"),
            (["own-bad", "--access-key-id", key.id, "--secret-access-key-stdin"], "  \n", "the secret access key is empty"),
            (["managed-one", "--access-key-id", key.id, "--secret-access-key-stdin"], key.secret, "uses the service's AWS account"),
            (["nobody", "--access-key-id", key.id, "--secret-access-key-stdin"], key.secret, "unknown tenant"),
        ]
        for c in cases {
            let result = try h.berth(["tenant", "credentials"] + c.arguments, stdin: c.stdin)
            #expect(result.status == 2, "\(c.arguments): \(result.output)")
            #expect(result.output.contains(c.message), "\(c.arguments): \(result.output)")
            #expect(!result.output.contains(key.secret), "\(c.arguments)")
        }
        let noMaster = try h.berth(["tenant", "credentials", "own-bad", "--access-key-id", key.id, "--secret-access-key-stdin"],
                                   stdin: key.secret, extraEnvironment: ["BERTH_MASTER_KEY": ""])
        #expect(noMaster.status == 2 && noMaster.output.contains("BERTH_MASTER_KEY is not set"), "\(noMaster.output)")
        #expect(try h.count("select count(*) as n from berth.tenants where access_key_id is not null or secret_ciphertext is not null") == 0)
        // Refused before any AWS call.
        #expect(try h.proxyStats(key: temporary).requests == 0)
        #expect(try h.proxyStats(key: key.id).requests == 0)
    }

    @Test func temporaryCredentialsAreRefusedBelowTheCLI() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant("own-temp", own: true)
        let keys = try MasterKeys(current: MasterKey(base64: h.masterKey))
        let store = TenantStore(h.connection)
        for credentials in [AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "s", sessionToken: "token"),
                            AWSCredentials(accessKeyId: "ASIAIOSFODNN7EXAMPLE", secretAccessKey: "s")] {
            let check = try #require(throws: ProvisioningError.self) { try CredentialCheck.refuseTemporary(credentials) }
            #expect(check.description.contains("long-lived"))
            let set = try #require(throws: ProvisioningError.self) {
                try store.setCredentials(tenant: tenant, credentials: credentials, accountId: nil, keys: keys)
            }
            #expect(set.description.contains("temporary AWS credentials"))
        }
        // An empty session token is no token (AWS_SESSION_TOKEN= in a shell).
        try CredentialCheck.refuseTemporary(AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "s", sessionToken: ""))
        #expect(try Self.stored(h, "own-temp").hasCredentials == false)
    }

    @Test func keysSTSRefusesAreNotStored() throws {
        let h = try ProvisioningHarness()
        try h.tenant("own-sts", own: true)
        let key = try Self.newKey(h)
        try h.injectFaults(key: key.id, rates: ["auth": 1.0])
        let result = try h.berth(["tenant", "credentials", "own-sts", "--access-key-id", key.id, "--secret-access-key-stdin"],
                                 stdin: key.secret)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("AWS does not accept this access key (InvalidClientTokenId)"), "\(result.output)")
        #expect(!result.output.contains(key.secret))
        #expect(try Self.stored(h, "own-sts").hasCredentials == false)
        #expect(try h.proxyStats(key: key.id).faults["auth"] == 1, "one STS call, no retries of an auth error")
    }

    @Test func rekeyMovesEverySecretToTheNewKey() throws {
        let h = try ProvisioningHarness()
        let a = try MasterKey(base64: h.masterKey)
        let bText = Self.newMasterKey()
        let b = try MasterKey(base64: bText)
        let store = TenantStore(h.connection)
        var secrets: [String: String] = [:]
        for name in ["rk-one", "rk-two", "rk-three"] {
            let tenant = try h.tenant(name, own: true)
            let secret = "secret-\(name)-\(UUID().uuidString)"
            secrets[name] = secret
            try store.setCredentials(tenant: tenant, credentials: AWSCredentials(accessKeyId: ProvisioningHarness.newAccessKeyId(),
                                                                                 secretAccessKey: secret),
                                     accountId: nil, keys: MasterKeys(current: a))
        }
        try h.tenant("rk-managed")

        // Neither key known: each tenant named with why, nothing changed, exit 1.
        let unknown = try h.berth(["tenant", "rekey"], extraEnvironment: ["BERTH_MASTER_KEY": Self.newMasterKey(), "BERTH_OLD_MASTER_KEYS": ""])
        #expect(unknown.status == 1, "\(unknown.output)")
        #expect(unknown.output.contains("secret sealed with master key \(a.id), which is neither BERTH_MASTER_KEY nor in BERTH_OLD_MASTER_KEYS"),
                "\(unknown.output)")
        #expect(unknown.output.contains("could not re-seal the secrets of 3 tenants: rk-one, rk-three, rk-two"), "\(unknown.output)")
        #expect(try h.count("select count(*) as n from berth.tenants where secret_key_id = $1", [a.id]) == 3)
        let noKey = try h.berth(["tenant", "rekey"], extraEnvironment: ["BERTH_MASTER_KEY": ""])
        #expect(noKey.status == 2 && noKey.output.contains("BERTH_MASTER_KEY is not set"), "\(noKey.output)")
        let badOld = try h.berth(["tenant", "rekey"], extraEnvironment: ["BERTH_MASTER_KEY": bText, "BERTH_OLD_MASTER_KEYS": "short"])
        #expect(badOld.status == 2 && badOld.output.contains("BERTH_OLD_MASTER_KEYS"), "\(badOld.output)")

        let rekeyed = try h.berth(["tenant", "rekey"], extraEnvironment: ["BERTH_MASTER_KEY": bText, "BERTH_OLD_MASTER_KEYS": h.masterKey])
        #expect(rekeyed.status == 0, "\(rekeyed.output)")
        #expect(rekeyed.output.contains("re-sealed 3 secrets under master key \(b.id)"), "\(rekeyed.output)")
        #expect(try h.count("select count(*) as n from berth.tenants where secret_key_id = $1", [b.id]) == 3)
        for (name, secret) in secrets {
            let tenant = try Self.stored(h, name)
            #expect(try store.credentials(of: tenant, keys: MasterKeys(current: b)).revealSecretForSealing() == secret)
            let old = try #require(throws: SecretError.self) { try store.credentials(of: tenant, keys: MasterKeys(current: a)) }
            #expect(old == .unknownKey(b.id))
        }
        // Again: nothing left to do. In small batches: every row.
        let again = try h.berth(["tenant", "rekey"], extraEnvironment: ["BERTH_MASTER_KEY": bText])
        #expect(again.status == 0 && again.output.contains("re-sealed 0 secrets"), "\(again.output)")
        #expect(try store.rekey(keys: MasterKeys(current: a, old: [b])).resealed == 3)
        #expect(try h.count("select count(*) as n from berth.tenants where secret_key_id = $1", [a.id]) == 3)
    }

    /// Row by row: a secret sealed under a key this process lacks is named and left as it is;
    /// the others are re-sealed; exit 1.
    @Test func rekeyReSealsTheRestAndNamesWhatItCannotOpen() throws {
        let h = try ProvisioningHarness()
        let a = try MasterKey(base64: h.masterKey)
        let bText = Self.newMasterKey()
        let b = try MasterKey(base64: bText)
        let lost = try MasterKey(base64: Self.newMasterKey())
        let store = TenantStore(h.connection)
        for (name, key) in [("rk-a1", a), ("rk-lost", lost), ("rk-a2", a)] {
            try store.setCredentials(tenant: try h.tenant(name, own: true),
                                     credentials: AWSCredentials(accessKeyId: ProvisioningHarness.newAccessKeyId(), secretAccessKey: "s-\(name)"),
                                     accountId: nil, keys: MasterKeys(current: key))
        }
        let result = try h.berth(["tenant", "rekey"], extraEnvironment: ["BERTH_MASTER_KEY": bText, "BERTH_OLD_MASTER_KEYS": h.masterKey])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("re-sealed 2 secrets under master key \(b.id)"), "\(result.output)")
        #expect(result.output.contains("tenant rk-lost: secret sealed with master key \(lost.id)"), "\(result.output)")
        #expect(result.output.contains("could not re-seal the secrets of 1 tenant: rk-lost"), "\(result.output)")
        #expect(!result.output.contains(bText) && !result.output.contains(h.masterKey))
        for name in ["rk-a1", "rk-a2"] {
            #expect(try store.credentials(of: try Self.stored(h, name), keys: MasterKeys(current: b)).revealSecretForSealing() == "s-\(name)")
        }
        #expect(try h.count("select count(*) as n from berth.tenants where name = 'rk-lost' and secret_key_id = $1", [lost.id]) == 1)
    }

    /// A key of another AWS account while the tenant has live clusters would orphan them: refused
    /// (exit 2, naming them), with or without --replace-account. Same-account rotation is fine.
    /// With nothing live, --replace-account moves the tenant and forgets the old account's network.
    @Test func anotherAccountsKeyIsRefusedWhileClustersLive() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant("movers", own: true)
        let first = try Self.storeNewKey(h, "movers")
        _ = try h.create(tenant, "etl")
        _ = try h.create(tenant, "ml")

        let otherAccount = ProvisioningHarness.newAccount()
        let other = (id: ProvisioningHarness.newAccessKeyId(), secret: "other-\(UUID().uuidString)")
        try h.registerAccount(key: other.id, account: otherAccount)
        for flags in [[], ["--replace-account"]] {
            let refused = try h.berth(["tenant", "credentials", "movers", "--access-key-id", other.id, "--secret-access-key-stdin"] + flags,
                                      stdin: other.secret)
            #expect(refused.status == 2, "\(flags): \(refused.output)")
            #expect(refused.output.contains("live in AWS account \(h.account), and this key belongs to account \(otherAccount)"), "\(refused.output)")
            #expect(refused.output.contains("clusters not stopped: etl (pending), ml (pending)"), "\(refused.output)")
            #expect(!refused.output.contains(other.secret))
            #expect(try Self.stored(h, "movers").accessKeyId == first.id)
        }
        // Refused before the permission preflight: only STS saw the other key.
        #expect(try h.proxyStats(key: other.id).actions.keys.sorted() == ["sts:GetCallerIdentity"])

        // The same account's new key (rotation): stored while the clusters run.
        let rotated = try Self.storeNewKey(h, "movers")
        #expect(try Self.stored(h, "movers").accessKeyId == rotated.id)

        // Nothing live (the deletes are done; set here directly), but a network of the old account.
        _ = try h.connection.execute(SQL("test_stop_all", "update berth.clusters set state = 'stopped' where tenant_id = $1"), [tenant.id])
        _ = try h.connection.execute(SQL("test_old_network", """
            insert into berth.networks (tenant_id, region, state, outputs) values ($1, 'us-east-2', 'ready', '{"vpc_id": "vpc-0ld"}')
            """), [tenant.id])
        _ = try h.connection.execute(SQL("test_old_steps", """
            insert into berth.steps (scope, step, state) values ('tenant:' || $1::text, 'execution_role', 'done'),
                                                                ('network:' || $1::text || ':us-east-2', 'vpc', 'done')
            """), [tenant.id.uuidString.lowercased()])
        let unconfirmed = try h.berth(["tenant", "credentials", "movers", "--access-key-id", other.id, "--secret-access-key-stdin"], stdin: other.secret)
        #expect(unconfirmed.status == 2 && unconfirmed.output.contains("run again with --replace-account"), "\(unconfirmed.output)")
        let moved = try h.berth(["tenant", "credentials", "movers", "--access-key-id", other.id, "--secret-access-key-stdin", "--replace-account"],
                                stdin: other.secret)
        #expect(moved.status == 0, "\(moved.output)")
        #expect(moved.output.contains("AWS account changed from \(h.account) to \(otherAccount)"), "\(moved.output)")
        #expect(moved.output.contains("vpc-0ld in us-east-2"), "\(moved.output)")
        let after = try Self.stored(h, "movers")
        #expect(after.accessKeyId == other.id && after.awsAccountId == otherAccount)
        #expect(try h.count("select count(*) as n from berth.networks where tenant_id = $1", [tenant.id]) == 0)
        #expect(try h.count("select count(*) as n from berth.steps where scope = 'tenant:' || $1 or scope like 'network:' || $1 || ':%'",
                            [tenant.id.uuidString.lowercased()]) == 0)
        #expect(try h.count("select count(*) as n from berth.events where tenant = 'movers' and type = 'info' and message like 'AWS account changed%'") == 1)
    }

    /// The permission preflight's DryRun calls make nothing (the emulator answers
    /// DryRunOperation as AWS does), so `tenant credentials` leaves no VPC behind.
    @Test func credentialCheckLeavesNothingInAWS() throws {
        let h = try ProvisioningHarness()
        try h.tenant("dry", own: true)
        let key = try Self.storeNewKey(h, "dry")
        #expect(key.output.contains("permission preflight: nothing missing"), "\(key.output)")
        let calls = try h.proxyStats(key: key.id).actions
        #expect(calls["ec2:CreateVpc"] == 1 && calls["ec2:RunInstances"] == 1 && calls["ec2:CreateSecurityGroup"] == 1, "\(calls)")
        let aws = h.aws(region: "us-east-2")
        #expect(try aws.describeVpcs().filter { !$0.isDefault }.map(\.vpcId) == [], "the dry runs made a VPC")
        #expect(try aws.describeSecurityGroups().filter { $0.groupName == "berth-preflight" }.isEmpty)
        #expect(try aws.describeInstances().isEmpty)
    }

    /// An endpoint that ignores DryRun (raw moto runs CreateVpc for real) is an error, not
    /// "allowed": the check stops at the first such answer.
    @Test func aDryRunThatSucceedsIsAnError() throws {
        let h = try ProvisioningHarness()
        guard let raw = ProcessInfo.processInfo.environment["BERTH_MOTO_URL"], !raw.isEmpty else {
            throw SetupError("BERTH_MOTO_URL is not set: run the tests with scripts/test, which starts the emulator")
        }
        var configuration = AWSClient.Configuration()
        configuration.extraHeaders = [HTTPHeader("x-moto-account-id", h.account)]
        let client = AWSClient(credentials: AWSCredentials(accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey), region: "us-east-2",
                               endpoints: Endpoints(global: raw), configuration: configuration)
        let error = try #require(throws: ProvisioningError.self) { try CredentialCheck.missingActions(client) }
        #expect(error.description.contains("the endpoint ignored DryRun"), "\(error)")
        guard case .failed = error else { Issue.record("an ignored DryRun is a failure, not bad input: \(error)"); return }
        // Raw moto did make the VPC (which is why the check refuses), and only one: the check stopped there.
        #expect(try h.aws().describeVpcs().filter { !$0.isDefault }.count == 1)
    }

    /// A worker without the master key a tenant's secret is sealed under says so at start
    /// (naming the key id, never a key); the tenant's job is retried with backoff, and a worker
    /// that has the key finishes it.
    @Test func aWorkerWithoutTheKeyWarnsAndRetries() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant("keyless", own: true)
        let key = try Self.storeNewKey(h, "keyless")
        let sealing = try MasterKey(base64: h.masterKey)
        let otherKey = Self.newMasterKey()

        // No master key at all.
        let none = try h.worker(extraEnvironment: ["BERTH_MASTER_KEY": ""])
        try poll(timeout: 20, "the warning of a worker without BERTH_MASTER_KEY") { none.log.contains("BERTH_MASTER_KEY is not set") }
        #expect(none.log.contains("(keyless)"), "\(none.log)")
        none.signal(SIGKILL)
        try none.waitForExit()

        // Another master key: the warning names the key id it lacks, and the job keeps retrying.
        let id = try h.create(tenant, "c1", spec: #"{"workers": 0}"#)
        let wrong = try ChildProcess(arguments: ["worker", "--lease", "2s", "--heartbeat", "200ms", "--rescue-interval", "200ms",
                                                 "--poll-interval", "50ms", "--backoff-base", "500ms", "--backoff-cap", "1s"],
                                     environment: h.environment.merging(["BERTH_MASTER_KEY": otherKey, "BERTH_OLD_MASTER_KEYS": ""]) { $1 })
        defer { wrong.signal(SIGKILL) }
        try poll(timeout: 20, "the warning naming the missing key") { wrong.log.contains("this worker lacks master key \(sealing.id)") }
        #expect(wrong.log.contains("tenants keyless"), "\(wrong.log)")
        let retries = try poll(timeout: 30, "three retries of the create job", until: { $0 >= 3 }) {
            try h.count("select count(*) as n from berth.events where cluster_id = $1 and type = 'retry' and message like '%' || $2 || '%'",
                        [id, sealing.id])
        }
        #expect(retries >= 3)
        let events = try h.eventText(id)
        #expect(try h.cluster(id).state == .starting, "not failed for good: \(events)")
        #expect(try h.count("select count(*) as n from berth.jobs where kind = 'cluster.create' and state = 'failed'") == 0)
        #expect(!wrong.log.contains(otherKey) && !wrong.log.contains(h.masterKey) && !wrong.log.contains(key.secret))
        wrong.signal(SIGKILL)
        try wrong.waitForExit()

        // A worker with the key takes the job over.
        let right = try h.worker()
        defer { right.signal(SIGKILL) }
        try h.waitFor(id, .ready, worker: right)
    }

    @Test func aCiphertextOnAnotherRowDoesNotOpen() throws {
        let h = try ProvisioningHarness()
        let keys = try MasterKeys(current: MasterKey(base64: h.masterKey))
        let store = TenantStore(h.connection)
        let victim = try h.tenant("victim", own: true)
        let thief = try h.tenant("thief", own: true)
        let keyId = ProvisioningHarness.newAccessKeyId()
        try store.setCredentials(tenant: victim, credentials: AWSCredentials(accessKeyId: keyId, secretAccessKey: "the-victims-secret"),
                                 accountId: nil, keys: keys)
        _ = try h.connection.execute(SQL("test_copy_secret", """
            update berth.tenants t set access_key_id = v.access_key_id, secret_ciphertext = v.secret_ciphertext, secret_key_id = v.secret_key_id
              from berth.tenants v where v.name = 'victim' and t.id = $1
            """), [thief.id])
        let error = try #require(throws: SecretError.self) { try store.credentials(of: try Self.stored(h, "thief"), keys: keys) }
        #expect(error == .cannotOpen)
        // The key id is bound too: the same row with another key id does not open.
        _ = try h.connection.execute(SQL("test_change_key_id", "update berth.tenants set access_key_id = $2 where id = $1"),
                                     [victim.id, ProvisioningHarness.newAccessKeyId()])
        #expect(throws: SecretError.cannotOpen) { try store.credentials(of: try Self.stored(h, "victim"), keys: keys) }
    }
}
