import CX509

/// An ECDSA P-256 private key, OpenSSL's EVP_PKEY, owned (and freed) by this object.
final class PrivateKey {
    let pointer: OpaquePointer

    private init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    static func generate() throws(TLSError) -> PrivateKey {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else { throw .openSSL("EVP_PKEY_CTX_new_id") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1,
              EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) == 1 else {
            throw .openSSL("P-256 key generation setup")
        }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen(context, &key) == 1, let key else { throw .openSSL("EVP_PKEY_keygen") }
        return PrivateKey(owning: key)
    }

    /// Reads a PEM private key (PKCS#8 or the traditional EC form).
    convenience init(pem: String) throws(TLSError) {
        self.init(owning: try MemoryBIO.read(pem, "reading a private key") { PEM_read_bio_PrivateKey($0, nil, nil, nil) })
    }

    /// The key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
    func pem() throws(TLSError) -> String {
        try MemoryBIO.write("writing a private key") { PEM_write_bio_PrivateKey($0, pointer, nil, nil, 0, nil, nil) }
    }
}

/// An OpenSSL memory BIO, owned (and freed) by this object.
final class MemoryBIO {
    let pointer: OpaquePointer

    init() throws(TLSError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .openSSL("BIO_new") }
        pointer = bio
    }

    /// A BIO that reads `text`.
    convenience init(_ text: String) throws(TLSError) {
        try self.init()
        let bytes = Array(text.utf8)
        guard BIO_write(pointer, bytes, Int32(bytes.count)) == Int32(bytes.count) else { throw .openSSL("BIO_write") }
    }

    deinit { BIO_free(pointer) }

    /// What `read` makes of `pem` (nil: OpenSSL refused it).
    static func read(_ pem: String, _ operation: String, _ read: (OpaquePointer) -> OpaquePointer?) throws(TLSError) -> OpaquePointer {
        let bio = try MemoryBIO(pem)
        guard let result = read(bio.pointer) else { throw .openSSL(operation) }
        return result
    }

    /// The PEM text `write` puts into a fresh BIO (it returns 1 on success).
    static func write(_ operation: String, _ write: (OpaquePointer) -> Int32) throws(TLSError) -> String {
        let bio = try MemoryBIO()
        guard write(bio.pointer) == 1 else { throw .openSSL(operation) }
        return bio.text()
    }

    /// What was written to the BIO.
    func text() -> String {
        var data: UnsafePointer<CChar>?
        let length = berth_bio_mem_data(pointer, &data)
        guard let data, length > 0 else { return "" }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}
