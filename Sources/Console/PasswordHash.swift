import COpenSSL
import Foundation

/// Console passwords: PBKDF2-HMAC-SHA256 through OpenSSL, 600,000 iterations (OWASP's figure
/// for PBKDF2-SHA256), a 16-byte random salt, a 32-byte key, stored as
/// `pbkdf2-sha256$<iterations>$<salt base64>$<key base64>`: the count is in the hash, so it can
/// be raised later and older hashes still verify.
public enum PasswordHash {
    public static let iterations: UInt32 = 600_000
    static let scheme = "pbkdf2-sha256"

    /// What a password must be: long enough to resist guessing, short enough not to make the
    /// KDF a denial of service.
    public static let allowedLength = 12...1024

    public static func check(_ password: String) throws {
        guard allowedLength.contains(password.utf8.count) else {
            throw ConsoleError.invalid("a console password must be \(allowedLength.lowerBound)-\(allowedLength.upperBound) bytes long (got \(password.utf8.count))")
        }
    }

    public static func make(_ password: String, iterations: UInt32 = iterations) throws -> String {
        try check(password)
        let salt = try Random.bytes(16)
        let key = try derive(password, salt: salt, iterations: iterations)
        return "\(scheme)$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// Whether `password` matches `stored`; false for a malformed hash.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let iterations = UInt32(parts[1]), iterations > 0,
              let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3])),
              expected.count == 32, allowedLength.contains(password.utf8.count),
              let key = try? derive(password, salt: [UInt8](salt), iterations: iterations)
        else { return false }
        return Random.constantTimeEqual(key, [UInt8](expected))
    }

    /// A hash of no one's password: verified when a login names an unknown user, so the answer
    /// takes as long as for a known one.
    static let decoy = "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    static func derive(_ password: String, salt: [UInt8], iterations: UInt32) throws -> [UInt8] {
        var key = [UInt8](repeating: 0, count: 32)
        let bytes = Array(password.utf8)
        let ok = bytes.withUnsafeBufferPointer { p in
            salt.withUnsafeBufferPointer { s in
                key.withUnsafeMutableBufferPointer { k in
                    berth_pbkdf2_sha256(p.baseAddress, p.count, s.baseAddress, s.count, iterations, k.baseAddress, k.count)
                }
            }
        }
        guard ok == 1 else { throw ConsoleError.crypto("PBKDF2 failed") }
        return key
    }
}

/// Random tokens and constant-time comparison, from OpenSSL.
enum Random {
    static func bytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard out.withUnsafeMutableBufferPointer({ berth_random_bytes($0.baseAddress, $0.count) }) == 1 else {
            throw ConsoleError.crypto("no random bytes")
        }
        return out
    }

    /// 32 random bytes as URL-safe base64 without padding (cookie- and form-safe).
    static func token() throws -> String {
        Data(try bytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func sha256(_ text: String) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { b in out.withUnsafeMutableBufferPointer { berth_sha256(b.baseAddress, b.count, $0.baseAddress) } }
        return out
    }

    /// A session token's SHA-256 in hex (the SQL decodes it to bytea).
    static func sha256Hex(_ text: String) -> String {
        sha256(text).map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { berth_constant_time_equal(x.baseAddress, $0.baseAddress, x.count) } } == 1
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }
}
