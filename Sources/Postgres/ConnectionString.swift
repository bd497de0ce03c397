import CLibPQ
import Foundation

/// A libpq connection string (`postgresql://user:password@host/db?…` or `key=value …`) as
/// something that may be shown: its password masked. libpq's own parse errors quote the
/// string, or the part it choked on (the password itself for a bad `%` escape), so every
/// message about a connection string goes through `redact` before anyone sees it.
public enum ConnectionString {
    /// The operation name of the error `check` throws.
    public static let checkOperation = "parse connection string"

    /// The string with each password replaced by `***` (`user:***@host`, `password=***`).
    public static func masked(_ text: String) -> String {
        var result = text
        if let uri = URIParts(text), let password = uri.password {
            result = String(text[..<password.lowerBound]) + "***" + String(text[password.upperBound...])
        }
        return maskPasswordValues(result)
    }

    /// `message` with the connection string shown masked and every password in it (as
    /// written, and percent-decoded) replaced by `***`.
    public static func redact(_ message: String, in text: String) -> String {
        var result = message.replacingOccurrences(of: text, with: masked(text))
        for secret in secrets(in: text).sorted(by: { $0.count > $1.count }) {
            result = result.replacingOccurrences(of: secret, with: "***")
        }
        return result
    }

    /// Refuses what libpq cannot parse, before anything connects, with libpq's reason (masked).
    public static func check(_ text: String) throws(PostgresError) {
        var error: UnsafeMutablePointer<CChar>?
        let options = PQconninfoParse(text, &error)
        defer {
            if let options { PQconninfoFree(options) }
            if let error { PQfreemem(error) }
        }
        guard options == nil else { return }
        let reason = error.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "libpq could not parse it"
        throw PostgresError(.usage, operation: checkOperation,
                            message: redact("not a valid libpq connection string (\(reason)): \(text); use a URI such as postgresql://user@127.0.0.1:5432/berth", in: text))
    }

    /// Every spelling of a password in `text`: the URI's (as written, decoded, and the pieces
    /// a stray `@` or `/` splits it into, which libpq may quote as a host name) and each
    /// `password=` value.
    static func secrets(in text: String) -> [String] {
        var found: [String] = []
        if let uri = URIParts(text), let password = uri.password {
            found.append(String(text[password]))
        }
        let pattern = #"password\s*=\s*('(?:[^'\\]|\\.)*'|[^&\s]*)"#
        if let regex = try? NSRegularExpression(pattern: pattern) {
            for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                var value = String(text[range])
                if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                found.append(value)
            }
        }
        var all: [String] = []
        for secret in found where !secret.isEmpty {
            all.append(secret)
            if let decoded = secret.removingPercentEncoding, decoded != secret { all.append(decoded) }
            all += secret.split(whereSeparator: { $0 == "@" || $0 == "/" }).map(String.init).filter { $0.count >= 2 }
        }
        return Array(Set(all))
    }

    /// `password=value` in a URI's query or a key/value string, value masked.
    private static func maskPasswordValues(_ text: String) -> String {
        guard let regex = try? NSRegularExpression(pattern: #"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)"#) else { return text }
        return regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1***")
    }

    /// Where the password of a `postgres://` / `postgresql://` URI is: between the first `:`
    /// of the user info and the last `@` before the query (so a password with a stray `@` or
    /// `/` is still masked whole).
    private struct URIParts {
        var password: Range<String.Index>?

        init?(_ text: String) {
            guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://"), let scheme = text.range(of: "://") else { return nil }
            let rest = text[scheme.upperBound...]
            let beforeQuery = rest[..<(rest.firstIndex(of: "?") ?? rest.endIndex)]
            guard let at = beforeQuery.lastIndex(of: "@") else { return }
            let userInfo = rest[..<at]
            guard let colon = userInfo.firstIndex(of: ":") else { return }
            password = userInfo.index(after: colon)..<at
        }
    }
}

extension PostgresError {
    /// A connection string libpq cannot parse: bad input, not a failure to connect.
    public var isMalformedConnectionString: Bool { kind == .usage && operation == ConnectionString.checkOperation }
}
