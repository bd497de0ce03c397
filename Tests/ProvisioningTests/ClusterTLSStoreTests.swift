import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// Clusters' certificate authorities in `berth.cluster_tls`: made once (a second `ensure`
/// returns the first), sealed under the master key and bound to their cluster, re-sealed by
/// `rekey`.
@Suite struct ClusterTLSStoreTests {
    static func key() throws -> MasterKey {
        try MasterKey(base64: Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())
    }

    @Test func theFirstAuthorityWinsAndOpensOnlyForItsCluster() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        _ = try TenantStore(connection).create(TenantStore.NewTenant(name: "acme"))
        let a = try ClusterStore(connection).create(tenant: "acme", name: "a")
        let b = try ClusterStore(connection).create(tenant: "acme", name: "b")
        let old = try Self.key()
        let keys = MasterKeys(current: old)
        let store = ClusterTLSStore(connection)

        #expect(try store.load(clusterId: a, keys: keys) == nil)
        let first = try store.ensure(clusterId: a, keys: keys, now: Date())
        let again = try store.ensure(clusterId: a, keys: keys, now: Date())
        #expect(again.authority.certificatePEM == first.authority.certificatePEM)
        #expect(again.worker.revealPrivateKey() == first.worker.revealPrivateKey())
        #expect(first.scheduler.revealPrivateKey().hasPrefix("-----BEGIN PRIVATE KEY-----"))
        // The row holds certificates in clear and no key in clear.
        let raw = try #require(try connection.queryRow(SQL("test_tls_raw", "select t::text as row from berth.cluster_tls t where cluster_id = $1"), [a]))
        let text: String = try raw.decode("row")
        #expect(text.contains("BEGIN CERTIFICATE") && !text.contains("PRIVATE KEY"))

        // A ciphertext copied onto another cluster's row does not open there.
        _ = try store.ensure(clusterId: b, keys: keys, now: Date())
        try connection.execute(SQL("test_tls_copy", """
            update berth.cluster_tls set keys_ciphertext = (select keys_ciphertext from berth.cluster_tls where cluster_id = $1)
             where cluster_id = $2
            """), [a, b])
        #expect(throws: SecretError.cannotOpen) { try store.load(clusterId: b, keys: keys) }
        // Without the key it is sealed under: named, so a worker can leave the job to another.
        #expect(throws: SecretError.unknownKey(old.id)) { try store.load(clusterId: a, keys: MasterKeys(current: try Self.key())) }

        // Rotation: a's keys move to the new key, b's (which no key opens) is named.
        let new = try Self.key()
        let report = try store.rekey(keys: MasterKeys(current: new, old: [old]))
        #expect(report.resealed == 1)
        #expect(report.failed.map(\.cluster) == [b])
        #expect(try store.load(clusterId: a, keys: MasterKeys(current: new))?.worker.revealPrivateKey() == first.worker.revealPrivateKey())
        #expect(try store.rekey(keys: MasterKeys(current: new, old: [old])).resealed == 0)
        #expect(try store.sealingKeys().map(\.keyId).sorted() == [new.id, old.id].sorted())

        try store.delete(clusterId: a)
        #expect(try store.load(clusterId: a, keys: MasterKeys(current: new)) == nil)
    }
}
