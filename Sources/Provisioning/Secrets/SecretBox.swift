import COpenSSL

/// AES-256-GCM sealing of small secrets. The stored form is nonce (12) | ciphertext | tag (16);
/// the associated data binds a ciphertext to its row (tenant id and key id), so a secret
/// copied onto another tenant's row does not open.
public enum SecretBox {
    public static func seal(_ plaintext: [UInt8], key: MasterKey, associatedData: [UInt8]) throws(SecretError) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        guard berth_random_bytes(&nonce, nonce.count) == 1 else { throw .cryptoFailure }
        var out = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: 16)
        let ok = berth_aes256gcm_seal(key.bytes, nonce, associatedData, associatedData.count, plaintext, plaintext.count, &out, &tag)
        guard ok == 1 else { throw .cryptoFailure }
        return nonce + out + tag
    }

    public static func open(_ sealed: [UInt8], key: MasterKey, associatedData: [UInt8]) throws(SecretError) -> [UInt8] {
        guard sealed.count >= 28 else { throw .cannotOpen }
        let nonce = Array(sealed[0..<12])
        let body = Array(sealed[12..<(sealed.count - 16)])
        let tag = Array(sealed[(sealed.count - 16)...])
        var out = [UInt8](repeating: 0, count: body.count)
        let ok = berth_aes256gcm_open(key.bytes, nonce, associatedData, associatedData.count, body, body.count, tag, &out)
        guard ok == 1 else { throw .cannotOpen }
        return out
    }
}
