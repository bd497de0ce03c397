import CX509
import Foundation
import Provisioning
import Testing

/// The per-cluster certificate authority: chains that OpenSSL verifies, the purposes Dask
/// needs, validity from the given clock, and keys that never print.
@Suite struct ClusterTLSTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21

    /// X509_verify_cert of `leaf` against `authority` at `time`: nil when it verifies, else OpenSSL's error code.
    func verify(_ leaf: String, by authority: String, at time: Date, purpose: Int32 = X509_PURPOSE_SSL_CLIENT) -> Int32? {
        let ca = certificate(authority), cert = certificate(leaf)
        defer { X509_free(ca); X509_free(cert) }
        let store = X509_STORE_new()!, context = X509_STORE_CTX_new()!
        defer { X509_STORE_CTX_free(context); X509_STORE_free(store) }
        #expect(X509_STORE_add_cert(store, ca) == 1)
        #expect(X509_STORE_CTX_init(context, store, cert, nil) == 1)
        X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970))
        X509_STORE_CTX_set_purpose(context, purpose)
        return X509_verify_cert(context) == 1 ? nil : X509_STORE_CTX_get_error(context)
    }

    func certificate(_ pem: String) -> OpaquePointer {
        let bytes = Array(pem.utf8)
        let bio = BIO_new_mem_buf(bytes, Int32(bytes.count))!
        defer { BIO_free(bio) }
        return PEM_read_bio_X509(bio, nil, nil, nil)!
    }

    func commonName(_ pem: String) -> String {
        let cert = certificate(pem)
        defer { X509_free(cert) }
        var buffer = [CChar](repeating: 0, count: 256)
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, &buffer, Int32(buffer.count))
        return String(cString: buffer)
    }

    @Test func leavesVerifyAgainstTheirClustersAuthorityOnly() throws {
        let tls = try ClusterTLS.make(clusterID: "c-1", now: now)
        let other = try ClusterTLS.make(clusterID: "c-2", now: now)
        let soon = now.addingTimeInterval(86_400)
        for leaf in [tls.scheduler, tls.worker, tls.client] {
            #expect(verify(leaf.certificatePEM, by: tls.authority.certificatePEM, at: soon) == nil)
            #expect(verify(leaf.certificatePEM, by: other.authority.certificatePEM, at: soon)
                    == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
        }
        // Scheduler and workers also accept connections; the owner's certificate only dials.
        #expect(verify(tls.scheduler.certificatePEM, by: tls.authority.certificatePEM, at: soon, purpose: X509_PURPOSE_SSL_SERVER) == nil)
        #expect(verify(tls.worker.certificatePEM, by: tls.authority.certificatePEM, at: soon, purpose: X509_PURPOSE_SSL_SERVER) == nil)
        #expect(verify(tls.client.certificatePEM, by: tls.authority.certificatePEM, at: soon, purpose: X509_PURPOSE_SSL_SERVER) != nil)

        let ca = certificate(tls.authority.certificatePEM), leaf = certificate(tls.worker.certificatePEM)
        defer { X509_free(ca); X509_free(leaf) }
        #expect(X509_check_ca(ca) >= 1)
        #expect(X509_check_ca(leaf) == 0)
        #expect(ASN1_INTEGER_cmp(X509_get_serialNumber(ca), X509_get_serialNumber(leaf)) != 0)
        #expect(commonName(tls.authority.certificatePEM) == "berth cluster c-1 CA")
        #expect(commonName(tls.scheduler.certificatePEM) == "berth-c-1-scheduler")
        #expect(commonName(tls.client.certificatePEM) == "berth-c-1-client")
    }

    /// Key usage and extended key usage as security.md §9 lists them, and no subject
    /// alternative name: Dask checks the chain, never a host name (its TLS contexts set
    /// `check_hostname = False`), so no certificate names an address; the owner's client,
    /// which dials the scheduler by IP, is the test of that (ComputeClusterTests).
    @Test func usagesAreAsDocumentedAndNoCertificateNamesAHost() throws {
        let tls = try ClusterTLS.make(clusterID: "c-1", now: now)
        let owner = try CertificateAuthority(tls.authority).issue(commonName: "berth-c-1-owner", usage: .client, now: now, lifetime: 86_400)
        func usages(_ pem: String) -> (key: UInt32, extended: UInt32, hasSAN: Bool) {
            let cert = certificate(pem)
            defer { X509_free(cert) }
            return (X509_get_key_usage(cert), X509_get_extended_key_usage(cert), X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) >= 0)
        }
        let ca = usages(tls.authority.certificatePEM)
        #expect(ca.key == UInt32(KU_KEY_CERT_SIGN | KU_CRL_SIGN))
        for leaf in [tls.scheduler, tls.worker] {
            let u = usages(leaf.certificatePEM)
            #expect(u.key == UInt32(KU_DIGITAL_SIGNATURE))
            #expect(u.extended == UInt32(XKU_SSL_SERVER | XKU_SSL_CLIENT))
        }
        for leaf in [tls.client, owner] {
            let u = usages(leaf.certificatePEM)
            #expect(u.key == UInt32(KU_DIGITAL_SIGNATURE))
            #expect(u.extended == UInt32(XKU_SSL_CLIENT))
        }
        for pem in [tls.authority, tls.scheduler, tls.worker, tls.client, owner].map(\.certificatePEM) {
            #expect(!usages(pem).hasSAN)
        }
    }

    @Test func validityFollowsTheGivenClock() throws {
        let tls = try ClusterTLS.make(clusterID: "c-1", now: now, lifetime: 30 * 86_400)
        let (ca, leaf) = (tls.authority.certificatePEM, tls.scheduler.certificatePEM)
        #expect(verify(leaf, by: ca, at: now.addingTimeInterval(-1800)) == nil)  // an hour's skew allowed
        #expect(verify(leaf, by: ca, at: now.addingTimeInterval(-7200)) == X509_V_ERR_CERT_NOT_YET_VALID)
        #expect(verify(leaf, by: ca, at: now.addingTimeInterval(29 * 86_400)) == nil)
        #expect(verify(leaf, by: ca, at: now.addingTimeInterval(31 * 86_400)) == X509_V_ERR_CERT_HAS_EXPIRED)
        #expect(ClusterTLS.lifetime >= 365 * 86_400)
    }

    @Test func privateKeysNeverPrint() throws {
        let tls = try ClusterTLS.make(clusterID: "c-1", now: now)
        var dumped = ""
        dump(tls, to: &dumped)
        for text in ["\(tls)", String(reflecting: tls), dumped, "\(tls.client)"] {
            #expect(!text.contains("PRIVATE KEY"))
        }
        #expect(tls.client.revealPrivateKey().hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(tls.client.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
    }

    @Test func anAuthorityReadBackIssuesMore() throws {
        let tls = try ClusterTLS.make(clusterID: "c-1", now: now)
        let authority = try CertificateAuthority(tls.authority)
        let owner = try authority.issue(commonName: "owner", usage: .client, now: now, lifetime: 86_400)
        #expect(verify(owner.certificatePEM, by: tls.authority.certificatePEM, at: now) == nil)
        // A key that is not the certificate's is refused, naming why.
        let other = try ClusterTLS.make(clusterID: "c-2", now: now)
        let mismatched = IssuedCertificate(certificatePEM: tls.authority.certificatePEM,
                                           privateKeyPEM: other.authority.revealPrivateKey())
        let error = #expect(throws: TLSError.self) { try CertificateAuthority(mismatched) }
        #expect(error?.reason == "the key does not belong to the certificate")
    }

    /// Python's ssl (the Dask image's) completes a mutual TLS handshake with these certificates:
    /// the scheduler's serving, the owner's dialing, each checked against the cluster's CA.
    @Test func pythonAcceptsThemForMutualTLS() throws {
        let python = URL(fileURLWithPath: "/opt/berth/emulator-envs/dask-2026.7.1-py3.12/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("the Dask environment is missing") }
            return
        }
        let tls = try ClusterTLS.make(clusterID: "c-1", now: Date())
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("berth-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in [("ca.pem", tls.authority.certificatePEM),
                             ("scheduler.pem", tls.scheduler.certificatePEM), ("scheduler-key.pem", tls.scheduler.revealPrivateKey()),
                             ("client.pem", tls.client.certificatePEM), ("client-key.pem", tls.client.revealPrivateKey())] {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let script = """
        import socket, ssl, threading, sys
        d = sys.argv[1]
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=f"{d}/ca.pem")
        server.load_cert_chain(f"{d}/scheduler.pem", f"{d}/scheduler-key.pem"); server.verify_mode = ssl.CERT_REQUIRED
        client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=f"{d}/ca.pem")
        client.load_cert_chain(f"{d}/client.pem", f"{d}/client-key.pem"); client.check_hostname = False
        listener = socket.create_server(("127.0.0.1", 0)); listener.settimeout(20)
        def serve():
            connection, _ = listener.accept()
            with server.wrap_socket(connection, server_side=True) as s:
                s.sendall(s.getpeercert()["subject"][-1][0][1].encode())
        threading.Thread(target=serve).start()
        with client.wrap_socket(socket.create_connection(listener.getsockname())) as s:
            print(s.recv(100).decode())
        """
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script, folder.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("berth-c-1-client"))
    }
}
