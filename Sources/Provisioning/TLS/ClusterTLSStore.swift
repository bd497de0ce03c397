import Foundation
import Postgres

/// A cluster's certificate authority and its Dask processes' certificates in
/// `berth.cluster_tls` (migration 0009): certificates in clear, the three private keys as one
/// JSON document sealed under the master key, bound to the cluster by the associated data.
public struct ClusterTLSStore {
    let connection: Connection

    public init(_ connection: Connection) { self.connection = connection }

    /// What the cluster's scheduler and workers need, and what `berth cluster credentials`
    /// signs the owner's certificate with.
    public struct Stored: Sendable {
        public let authority: IssuedCertificate
        public let scheduler: IssuedCertificate
        public let worker: IssuedCertificate
    }

    private struct Keys: Codable {
        let authority: String
        let scheduler: String
        let worker: String
    }

    static func associatedData(clusterId: UUID) -> [UInt8] {
        Array("berth-cluster-tls:\(clusterId.uuidString.lowercased())".utf8)
    }

    /// The cluster's authority: the one stored, else a new one made, sealed and stored. Two
    /// runs at once (or a run after a crash) end with the same row, the first one written.
    public func ensure(clusterId: UUID, keys: MasterKeys, now: Date) throws -> Stored {
        if let stored = try load(clusterId: clusterId, keys: keys) { return stored }
        let made = try ClusterTLS.make(clusterID: clusterId.uuidString.lowercased(), now: now)
        let plain = try JSONEncoder().encode(Keys(authority: made.authority.revealPrivateKey(),
                                                  scheduler: made.scheduler.revealPrivateKey(),
                                                  worker: made.worker.revealPrivateKey()))
        let sealed = try SecretBox.seal(Array(plain), key: keys.current, associatedData: Self.associatedData(clusterId: clusterId))
        try connection.execute(ProvisioningSQL.insertClusterTLS, [
            clusterId, made.authority.certificatePEM, made.scheduler.certificatePEM, made.worker.certificatePEM,
            Data(sealed).base64EncodedString(), keys.current.id,
        ])
        guard let stored = try load(clusterId: clusterId, keys: keys) else {
            throw ProvisioningError.failed("the certificate authority of cluster \(clusterId) was not stored")
        }
        return stored
    }

    /// The stored authority and certificates, opened; nil when the cluster has none (made
    /// before migration 0009, or its delete finished).
    public func load(clusterId: UUID, keys: MasterKeys) throws -> Stored? {
        guard let row = try connection.queryRow(ProvisioningSQL.clusterTLS, [clusterId]) else { return nil }
        let opened = try Self.open(row, clusterId: clusterId, keys: keys)
        return Stored(
            authority: IssuedCertificate(certificatePEM: try row.decode("ca_certificate"), privateKeyPEM: opened.authority),
            scheduler: IssuedCertificate(certificatePEM: try row.decode("scheduler_certificate"), privateKeyPEM: opened.scheduler),
            worker: IssuedCertificate(certificatePEM: try row.decode("worker_certificate"), privateKeyPEM: opened.worker))
    }

    /// The sealed keys of a row (`keys_base64`, `keys_key_id`), opened.
    private static func open(_ row: Row, clusterId: UUID, keys: MasterKeys) throws -> Keys {
        let keyId: String = try row.decode("keys_key_id")
        guard let key = keys.key(id: keyId) else { throw SecretError.unknownKey(keyId) }
        guard let sealed = Data(base64Encoded: try row.decode("keys_base64", as: String.self)) else { throw SecretError.cannotOpen }
        let plain = try SecretBox.open(Array(sealed), key: key, associatedData: associatedData(clusterId: clusterId))
        guard let opened = try? JSONDecoder().decode(Keys.self, from: Data(plain)) else { throw SecretError.cannotOpen }
        return opened
    }

    /// What `rekey` did: how many clusters' keys it re-sealed, and which it could not open.
    public struct RekeyReport: Sendable {
        public var resealed = 0
        public var failed: [(cluster: UUID, reason: String)] = []
    }

    /// Re-seals every cluster's keys under the current master key, one row per transaction
    /// (`FOR UPDATE SKIP LOCKED`, the update keyed on the old key id), as `TenantStore.rekey`
    /// does for tenants' secrets: a row no key opens is named and skipped.
    public func rekey(keys: MasterKeys) throws -> RekeyReport {
        var report = RekeyReport()
        var after = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        while true {
            let next: (cluster: UUID, failure: String?)? = try connection.transaction { connection in
                guard let row = try connection.queryRow(ProvisioningSQL.nextClusterTLSToRekey, [keys.current.id, after]) else { return nil }
                let clusterId: UUID = try row.decode("cluster_id")
                let opened: Keys
                do { opened = try Self.open(row, clusterId: clusterId, keys: keys) } catch let error as SecretError {
                    return (clusterId, error.description)
                }
                let sealed = try SecretBox.seal(Array(try JSONEncoder().encode(opened)), key: keys.current,
                                                associatedData: Self.associatedData(clusterId: clusterId))
                try connection.execute(ProvisioningSQL.resealClusterTLS, [
                    clusterId, Data(sealed).base64EncodedString(), keys.current.id, try row.decode("keys_key_id", as: String.self),
                ])
                return (clusterId, nil)
            }
            guard let next else { return report }
            after = next.cluster
            if let failure = next.failure { report.failed.append((next.cluster, failure)) } else { report.resealed += 1 }
        }
    }

    /// The master keys that seal clusters' keys, with how many clusters each.
    public func sealingKeys() throws -> [(keyId: String, clusters: Int)] {
        try connection.query(ProvisioningSQL.clusterTLSSealingKeys).map { (try $0.decode("keys_key_id"), Int(try $0.decode("clusters", as: Int64.self))) }
    }

    /// Forgets the cluster's keys (its delete finished: nothing uses them any more).
    public func delete(clusterId: UUID) throws {
        try connection.execute(ProvisioningSQL.deleteClusterTLS, [clusterId])
    }
}
