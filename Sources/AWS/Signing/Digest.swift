import COpenSSL

/// SHA-256 and HMAC-SHA256 over OpenSSL, for SigV4.
public enum Digest {
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { berth_sha256(input.baseAddress, input.count, $0.baseAddress) }
        }
        // Only fails if OpenSSL cannot allocate; nothing sensible can continue then.
        precondition(ok == 1, "OpenSSL SHA-256 failed")
        return out
    }

    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer {
                    berth_hmac_sha256(k.baseAddress, k.count, d.baseAddress, d.count, $0.baseAddress)
                }
            }
        }
        precondition(ok == 1, "OpenSSL HMAC-SHA256 failed")
        return out
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            chars.append(digits[Int(byte >> 4)])
            chars.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    public static func sha256Hex(_ data: [UInt8]) -> String { hex(sha256(data)) }
}
