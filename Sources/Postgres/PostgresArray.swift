import Foundation

/// Postgres's text format for one-dimensional arrays.
enum PostgresArray {
    static func encode(_ items: [String?]) -> String {
        // Built from UTF-8 bytes: iterating Characters (grapheme clusters) is many times slower,
        // and only two ASCII bytes need escaping.
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(2 + items.count * 16)
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard let item else { out.append(contentsOf: "NULL".utf8); continue }
            out.append(UInt8(ascii: "\""))
            for byte in item.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
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
