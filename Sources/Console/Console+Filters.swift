import Foundation
import Hummingbird

/// The list pages' filters: query values checked against what is allowed (a refusal quotes the
/// value and says what is), and `<option>` lists.
extension Console {
    /// `<option>`s for a filter, the current value selected.
    static func options(_ values: [String], selected: String?) -> [[String: Any]] {
        values.map { ["value": $0, "selected": $0 == selected] }
    }

    /// A filter's value: nil when absent or empty; refused (400, quoting it) when not allowed.
    static func filter(_ request: Request, _ name: String, allowed: (String) -> Bool, what: String) throws -> String? {
        guard let raw = request.uri.queryParameters[Substring(name)].map(String.init), !raw.isEmpty else { return nil }
        guard allowed(raw) else {
            let shown = raw.count > 64 ? String(raw.prefix(63)) + "…" : raw
            throw PageError(.badRequest, "\(name) '\(shown)' is not allowed: \(what)")
        }
        return raw
    }

    static let tenantName = try! NSRegularExpression(pattern: "^[a-z][a-z0-9-]{0,30}[a-z0-9]$")

    static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
