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
        try h.waitFor(id, "ready", worker: worker)
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

        // Neither key known: a clear error, nothing changed.
        let unknown = try h.berth(["tenant", "rekey"], extraEnvironment: ["BERTH_MASTER_KEY": Self.newMasterKey(), "BERTH_OLD_MASTER_KEYS": ""])
        #expect(unknown.status == 2, "\(unknown.output)")
        #expect(unknown.output.contains("secret sealed with master key \(a.id), which is neither BERTH_MASTER_KEY nor in BERTH_OLD_MASTER_KEYS"),
                "\(unknown.output)")
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
        #expect(try store.rekey(keys: MasterKeys(current: a, old: [b]), batchSize: 1) == 3)
        #expect(try h.count("select count(*) as n from berth.tenants where secret_key_id = $1", [a.id]) == 3)
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
