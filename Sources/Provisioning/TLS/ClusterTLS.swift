import CX509
import Foundation

/// A cluster's own certificate authority and the certificates its Dask processes and its owner
/// present: Dask's scheduler and workers require TLS with certificates this CA signed, so only
/// a holder of one can connect (`tls://` addresses, `--tls-ca-file`/`--tls-cert`/`--tls-key`).
///
/// Keys are ECDSA P-256, signatures ECDSA-SHA256, serials random. Dask checks the chain but not
/// host names (its clusters are reached by IP), so the certificates carry no addresses; the
/// scheduler's and workers' are for both server and client authentication (each also dials
/// the others), the owner's for client authentication only. Validity starts an hour before
/// `now` (clock skew) and lasts `lifetime`. Pure: the clock is an argument.
public struct ClusterTLS: Sendable {
    public let authority: IssuedCertificate
    public let scheduler: IssuedCertificate
    public let worker: IssuedCertificate
    public let client: IssuedCertificate

    /// Three years: longer than a cluster should live (`max_lifetime`), so none expires under
    /// a running cluster; a new cluster gets a new authority.
    public static let lifetime: TimeInterval = 3 * 365 * 86_400

    public static func make(clusterID: String, now: Date, lifetime: TimeInterval = ClusterTLS.lifetime) throws(TLSError) -> ClusterTLS {
        let authority = try CertificateAuthority.create(commonName: "berth cluster \(clusterID) CA", now: now, lifetime: lifetime)
        return ClusterTLS(
            authority: try authority.issued(),
            scheduler: try authority.issue(commonName: "berth-\(clusterID)-scheduler", usage: .serverAndClient, now: now, lifetime: lifetime),
            worker: try authority.issue(commonName: "berth-\(clusterID)-worker", usage: .serverAndClient, now: now, lifetime: lifetime),
            client: try authority.issue(commonName: "berth-\(clusterID)-client", usage: .client, now: now, lifetime: lifetime))
    }
}

/// A certificate and its private key, both PEM. The key never prints: `description`,
/// `debugDescription` and the mirror show the certificate's role only.
public struct IssuedCertificate: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let certificatePEM: String
    private let keyPEM: String

    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.keyPEM = privateKeyPEM
    }

    /// The private key, PKCS#8 PEM: for sealing, or for the file a Dask process reads.
    public func revealPrivateKey() -> String { keyPEM }

    public var description: String { "IssuedCertificate(privateKey: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["certificatePEM": certificatePEM], displayStyle: .struct) }
}

/// A certificate authority that can sign more certificates (a client certificate for a
/// cluster's owner, later), read back from its PEM certificate and key.
public final class CertificateAuthority {
    public enum Usage: Sendable { case serverAndClient, client }

    static let organization = "Berth"
    let certificate: Certificate
    let key: PrivateKey

    private init(certificate: Certificate, key: PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    public convenience init(_ issued: IssuedCertificate) throws(TLSError) {
        let certificate = try Certificate(pem: issued.certificatePEM)
        let key = try PrivateKey(pem: issued.revealPrivateKey())
        guard X509_check_private_key(certificate.pointer, key.pointer) == 1 else {
            throw TLSError(operation: "reading a certificate authority", reason: "the key does not belong to the certificate")
        }
        self.init(certificate: certificate, key: key)
    }

    public static func create(commonName: String, now: Date, lifetime: TimeInterval) throws(TLSError) -> CertificateAuthority {
        let key = try PrivateKey.generate()
        let certificate = try Certificate.sign(
            commonName: commonName, organization: organization, key: key, validity: validity(now, lifetime),
            extensions: [(NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
                         (NID_key_usage, "critical,keyCertSign,cRLSign"),
                         (NID_subject_key_identifier, "hash"),
                         (NID_authority_key_identifier, "keyid:always")],
            issuer: nil)
        return CertificateAuthority(certificate: certificate, key: key)
    }

    /// The authority's own certificate and key.
    public func issued() throws(TLSError) -> IssuedCertificate {
        IssuedCertificate(certificatePEM: try certificate.pem(), privateKeyPEM: try key.pem())
    }

    /// A new key and a certificate for it, signed by this authority.
    public func issue(commonName: String, usage: Usage, now: Date, lifetime: TimeInterval) throws(TLSError) -> IssuedCertificate {
        let leafKey = try PrivateKey.generate()
        let purposes = usage == .serverAndClient ? "serverAuth,clientAuth" : "clientAuth"
        let leaf = try Certificate.sign(
            commonName: commonName, organization: Self.organization, key: leafKey, validity: Self.validity(now, lifetime),
            extensions: [(NID_basic_constraints, "critical,CA:FALSE"),
                         (NID_key_usage, "critical,digitalSignature"),
                         (NID_ext_key_usage, purposes),
                         (NID_subject_key_identifier, "hash"),
                         (NID_authority_key_identifier, "keyid:always")],
            issuer: (certificate, key))
        return IssuedCertificate(certificatePEM: try leaf.pem(), privateKeyPEM: try leafKey.pem())
    }

    static func validity(_ now: Date, _ lifetime: TimeInterval) -> ClosedRange<Date> {
        now.addingTimeInterval(-3600)...now.addingTimeInterval(lifetime)
    }
}
