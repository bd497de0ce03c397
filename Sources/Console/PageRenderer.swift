import Foundation
import Hummingbird
import Mustache
import NIOCore

/// Renders the console's pages with swift-mustache and wraps them in responses.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, text) in PageTemplates.all { try library.register(text, named: name) }
        self.library = library
    }

    /// `values` plus what every page needs: its title, the user (for the header) and the CSRF
    /// token for forms.
    func page(_ template: String, title: String, user: ConsoleUser?, notice: String? = nil,
              status: HTTPResponse.Status = .ok, _ values: [String: Any] = [:]) -> Response {
        var context = values
        context["title"] = title
        if let notice { context["notice"] = notice }
        if let user {
            context["csrf"] = user.csrfToken
            context["user"] = ["name": user.name, "tenant": user.tenant ?? "", "isOperator": user.isOperator, "csrf": user.csrfToken]
        }
        let html = library.render(Self.withoutEmptyText(context), withTemplate: template) ?? "template \(template) is missing"
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Empty strings dropped from every map: in Mustache an empty string opens a section
    /// (`{{#error}}`), a missing value does not (and prints as nothing).
    static func withoutEmptyText(_ value: Any) -> Any {
        switch value {
        case let map as [String: Any]: return map.filter { ($0.value as? String) != "" }.mapValues(withoutEmptyText)
        case let map as [String: String]: return map.filter { !$0.value.isEmpty }
        case let list as [Any]: return list.map(withoutEmptyText)
        default: return value
        }
    }

    func error(_ status: HTTPResponse.Status, _ message: String, user: ConsoleUser?, back: String = "/") -> Response {
        page("error", title: "\(status.code) \(status.reasonPhrase)", user: user, status: status,
             ["heading": "\(status.code) \(status.reasonPhrase)", "message": message, "back": back])
    }
}

/// How the console shows values.
enum Show {
    private static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter
    }()
    private static let lock = NSLock()

    static func date(_ date: Date?) -> String {
        guard let date else { return "-" }
        return lock.withLock { formatter.string(from: date) }
    }

    static func seconds(_ value: Double?) -> String {
        guard let value, value > 0 else { return "-" }
        if value < 1 { return String(format: "%.0f ms", value * 1000) }
        if value < 120 { return String(format: "%.1f s", value) }
        if value < 7200 { return String(format: "%.0f min", value / 60) }
        return String(format: "%.1f h", value / 3600)
    }

    /// A value for a URL's query string (then HTML-escaped by the template).
    static func query(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// JSON text, indented for reading (as stored when it does not parse).
    static func json(_ text: String) -> String {
        guard let data = text.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]),
              let string = String(data: pretty, encoding: .utf8) else { return text }
        return string
    }
}
