import Foundation
import Postgres

/// `berth cluster credentials`: what a cluster's owner needs to connect a Dask client. The
/// cluster's CA certificate, and a client certificate and key signed by its authority just now
/// (each call issues a new one; nothing of it is stored), written as three files 0600 in a
/// folder (made 0700 when missing). Refuses to replace a file unless told to. The message
/// and the printed Python name files and the scheduler's address, never their contents.
public enum ClusterCredentials {
    public static let files = (ca: "ca.pem", certificate: "client.pem", key: "client-key.pem")

    public struct Written: Sendable {
        public let folder: String
        public let ca: String
        public let certificate: String
        public let key: String
        public let schedulerAddress: String
        public let publicAddress: String?

        /// The three lines of Python that connect (Dask's `Security` with the files).
        public var python: [String] {
            [
                "from distributed import Client, Security",
                "sec = Security(tls_ca_file=\(literal(ca)), tls_client_cert=\(literal(certificate)), "
                    + "tls_client_key=\(literal(key)), require_encryption=True)",
                "client = Client(\(literal(schedulerAddress)), security=sec)",
            ]
        }

        /// A Python string literal (JSON's escapes are Python's for these characters).
        private func literal(_ text: String) -> String {
            let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
        }
    }

    public static func write(cluster: Cluster, connection: Connection, keys: MasterKeys, folder: String, force: Bool,
                             now: Date = Date()) throws -> Written {
        let label = "cluster \(cluster.name) of tenant \(cluster.tenant)"
        guard cluster.state != .stopped else {
            throw ProvisioningError.invalid("\(label) is stopped: its certificate authority went with it")
        }
        guard let address = cluster.schedulerAddress else {
            throw ProvisioningError.invalid("\(label) is \(cluster.state.rawValue) and has no scheduler address yet: run this again once it is ready")
        }
        guard address.hasPrefix("tls://") else {
            throw ProvisioningError.invalid("\(label) was created before clusters had certificates (its scheduler is \(address), without TLS): a client connects without credentials")
        }
        guard let stored = try ClusterTLSStore(connection).load(clusterId: cluster.id, keys: keys) else {
            throw ProvisioningError.failed("\(label) has no certificate authority stored, though its scheduler speaks TLS")
        }
        let owner = try CertificateAuthority(stored.authority).issue(
            commonName: "berth-\(cluster.id.uuidString.lowercased())-owner", usage: .client, now: now, lifetime: ClusterTLS.lifetime)

        let directory = URL(fileURLWithPath: folder).standardizedFileURL
        try makeFolder(directory)
        let targets = [(files.ca, stored.authority.certificatePEM), (files.certificate, owner.certificatePEM),
                       (files.key, owner.revealPrivateKey())].map { (directory.appendingPathComponent($0.0).path, $0.1) }
        if !force, let taken = targets.first(where: { FileManager.default.fileExists(atPath: $0.0) }) {
            throw ProvisioningError.invalid("\(taken.0) exists: give --force to replace the credentials in \(directory.path), or another --dir")
        }
        for (path, text) in targets { try writePrivately(text, to: path) }
        return Written(folder: directory.path, ca: targets[0].0, certificate: targets[1].0, key: targets[2].0,
                       schedulerAddress: address, publicAddress: cluster.schedulerPublicAddress)
    }

    /// The folder, made 0700 (with its parents) when missing; an existing one must be a folder.
    private static func makeFolder(_ directory: URL) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw ProvisioningError.invalid("\(directory.path) exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ProvisioningError.failed("cannot make the folder \(directory.path): \(error.localizedDescription)")
        }
    }

    /// Writes `text` to a new file 0600 beside `path`, then renames it over `path`: a reader
    /// never sees a half-written key, and the key is never readable by others, even briefly.
    private static func writePrivately(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-\(UUID().uuidString.prefix(8))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw ProvisioningError.failed("cannot write \(path): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ProvisioningError.failed("cannot write \(path): \(reason)")
        }
    }
}
