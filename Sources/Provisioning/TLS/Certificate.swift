import COpenSSL
import CX509
import Foundation

/// An X.509 certificate, OpenSSL's X509, owned (and freed) by this object.
final class Certificate {
    let pointer: OpaquePointer

    private init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }

    convenience init(pem: String) throws(TLSError) {
        self.init(owning: try MemoryBIO.read(pem, "reading a certificate") { PEM_read_bio_X509($0, nil, nil, nil) })
    }

    func pem() throws(TLSError) -> String {
        try MemoryBIO.write("writing a certificate") { PEM_write_bio_X509($0, pointer) }
    }

    /// A version 3 certificate for `subject` (organization and common name) and its key,
    /// valid over `validity`, with a random 128-bit serial and `extensions` (OpenSSL's config
    /// syntax, e.g. `basicConstraints` → `critical,CA:TRUE`), signed with ECDSA-SHA256 by
    /// `issuer`, or by the subject's own key when `issuer` is nil (a self-signed CA).
    static func sign(
        commonName: String, organization: String, key: PrivateKey, validity: ClosedRange<Date>,
        extensions: [(nid: Int32, value: String)], issuer: (certificate: Certificate, key: PrivateKey)?
    ) throws(TLSError) -> Certificate {
        guard let x509 = X509_new() else { throw .openSSL("X509_new") }
        let certificate = Certificate(owning: x509)
        guard X509_set_version(x509, 2) == 1 else { throw .openSSL("X509_set_version") }
        try setRandomSerial(x509)
        guard ASN1_TIME_set(X509_getm_notBefore(x509), time_t(validity.lowerBound.timeIntervalSince1970)) != nil,
              ASN1_TIME_set(X509_getm_notAfter(x509), time_t(validity.upperBound.timeIntervalSince1970)) != nil
        else { throw .openSSL("setting the validity") }
        guard X509_set_pubkey(x509, key.pointer) == 1 else { throw .openSSL("X509_set_pubkey") }
        let name = X509_get_subject_name(x509)
        for (field, value) in [("O", organization), ("CN", commonName)] {
            guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, value, -1, -1, 0) == 1 else {
                throw .openSSL("setting the subject's \(field)")
            }
        }
        let issuerCertificate = issuer?.certificate.pointer ?? x509
        guard X509_set_issuer_name(x509, X509_get_subject_name(issuerCertificate)) == 1 else {
            throw .openSSL("X509_set_issuer_name")
        }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuerCertificate, x509, nil, nil, 0)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw .openSSL("the extension \(String(cString: OBJ_nid2sn(nid))) = \(value)")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw .openSSL("X509_add_ext") }
        }
        guard X509_sign(x509, (issuer?.key ?? key).pointer, EVP_sha256()) > 0 else { throw .openSSL("X509_sign") }
        return certificate
    }

    private static func setRandomSerial(_ x509: OpaquePointer) throws(TLSError) {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard berth_random_bytes(&bytes, bytes.count) == 1 else { throw .openSSL("random serial") }
        bytes[0] &= 0x7f  // a positive INTEGER
        bytes[0] |= 0x40  // and always 16 bytes long
        guard let number = BN_bin2bn(bytes, Int32(bytes.count), nil) else { throw .openSSL("BN_bin2bn") }
        defer { BN_free(number) }
        guard BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) != nil else { throw .openSSL("setting the serial") }
    }
}
