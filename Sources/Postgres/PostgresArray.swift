import Foundation

/// Postgres's text format for one-dimensional arrays.
enum PostgresArray {
    static func encode(_ items: [String?]) -> String {
        var out = "{"
        for (index, item) in items.enumerated() {
            if index > 0 { out += "," }
            guard let item else { out += "NULL"; continue }
            out += "\""
            for ch in item {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }

    /// Decodes `{a,"b c",NULL}`; returns nil on malformed or multi-dimensional input.
    static func decode(_ text: String) -> [String?]? {
        var chars = Substring(text)
        // Arrays with explicit bounds look like `[0:2]={...}`; skip the bounds.
        if chars.first == "[", let eq = chars.firstIndex(of: "=") { chars = chars[chars.index(after: eq)...] }
        guard chars.first == "{", chars.last == "}" else { return nil }
        chars = chars.dropFirst().dropLast()
        if chars.isEmpty { return [] }
        var items: [String?] = []
        var index = chars.startIndex
        while index <= chars.endIndex {
            if index == chars.endIndex { break }
            if chars[index] == "{" { return nil }
            if chars[index] == "\"" {
                var value = ""
                index = chars.index(after: index)
                while index < chars.endIndex, chars[index] != "\"" {
                    if chars[index] == "\\" { index = chars.index(after: index) }
                    guard index < chars.endIndex else { return nil }
                    value.append(chars[index])
                    index = chars.index(after: index)
                }
                guard index < chars.endIndex else { return nil }
                index = chars.index(after: index)
                items.append(value)
            } else {
                let end = chars[index...].firstIndex(of: ",") ?? chars.endIndex
                let raw = String(chars[index..<end]).trimmingCharacters(in: .whitespaces)
                items.append(raw == "NULL" ? nil : raw)
                index = end
            }
            if index < chars.endIndex {
                guard chars[index] == "," else { return nil }
                index = chars.index(after: index)
                if index == chars.endIndex { return nil }
            }
        }
        return items
    }
}
