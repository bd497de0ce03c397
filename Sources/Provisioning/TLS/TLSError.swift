import CX509

/// Making or reading a certificate failed: the OpenSSL operation and OpenSSL's own reason.
/// Never holds key material.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let reason: String

    public var description: String { "certificates: \(operation) failed: \(reason)" }

    /// The error with OpenSSL's queued reasons (the queue is per thread; this empties it).
    static func openSSL(_ operation: String) -> TLSError {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return TLSError(operation: operation, reason: reasons.isEmpty ? "no reason given" : reasons.joined(separator: "; "))
    }
}
