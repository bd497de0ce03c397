import AWS
import Foundation

/// One 32-byte AES key. Its id (the first 16 hex digits of its SHA-256) is stored next to
/// every ciphertext it sealed, so a row says which key opens it without revealing the key.
public struct MasterKey: Sendable {
    public let id: String
    let bytes: [UInt8]

    public init(base64: String) throws(SecretError) {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw SecretError.badMasterKey("a master key must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)")
        }
        bytes = Array(data)
        id = String(Digest.sha256Hex(bytes).prefix(16))
    }
}

/// The current master key (seals) and older ones (still open what they sealed until
/// `berth tenant rekey` re-seals everything under the current key).
public struct MasterKeys: Sendable {
    public let current: MasterKey
    public let old: [MasterKey]

    public init(current: MasterKey, old: [MasterKey] = []) {
        self.current = current
        self.old = old
    }

    /// `BERTH_MASTER_KEY` (base64, 32 bytes) and `BERTH_OLD_MASTER_KEYS` (comma-separated).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(SecretError) -> MasterKeys {
        guard let value = environment["BERTH_MASTER_KEY"], !value.isEmpty else {
            throw SecretError.badMasterKey("BERTH_MASTER_KEY is not set: it must hold 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)")
        }
        let current = try MasterKey(base64: value)
        var old: [MasterKey] = []
        for part in (environment["BERTH_OLD_MASTER_KEYS"] ?? "").split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
            do { old.append(try MasterKey(base64: String(part))) } catch {
                throw SecretError.badMasterKey("BERTH_OLD_MASTER_KEYS: every entry must be 32 bytes, base64-encoded")
            }
        }
        return MasterKeys(current: current, old: old)
    }

    public func key(id: String) -> MasterKey? {
        ([current] + old).first { $0.id == id }
    }
}

/// Problems with master keys or sealed secrets. Never carries key material or plaintext.
public enum SecretError: Error, CustomStringConvertible, Equatable {
    case badMasterKey(String)
    case unknownKey(String)
    case cannotOpen
    case cryptoFailure

    public var description: String {
        switch self {
        case .badMasterKey(let message): return message
        case .unknownKey(let id): return "secret sealed with master key \(id), which is neither BERTH_MASTER_KEY nor in BERTH_OLD_MASTER_KEYS"
        case .cannotOpen: return "secret cannot be opened: wrong key or tampered ciphertext"
        case .cryptoFailure: return "OpenSSL failed to seal the secret"
        }
    }
}

/// A tenant's secret is sealed under a master key this process lacks (or it has no
/// `BERTH_MASTER_KEY` at all). Not the tenant's fault and not for good: another worker may
/// hold the key, so a job retries with backoff instead of failing.
public struct MissingMasterKey: Error, CustomStringConvertible {
    public let tenant: String
    /// The key the secret is sealed under; nil when this process has no master key at all.
    public let keyId: String?
    /// Why there is no master key (unset, or not 32 bytes of base64).
    public let problem: String?

    public var description: String {
        if let keyId {
            return "cannot open tenant \(tenant)'s AWS key: it is sealed with master key \(keyId), which this process lacks (neither BERTH_MASTER_KEY nor in BERTH_OLD_MASTER_KEYS)"
        }
        return "cannot open tenant \(tenant)'s AWS key: \(problem ?? "BERTH_MASTER_KEY is not set")"
    }
}
