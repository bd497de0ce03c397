/// A small, strict-enough XML parser for AWS API responses.
///
/// Handles the declaration, comments, CDATA, DOCTYPE, attributes, self-closing tags
/// and the five named plus numeric character entities. No DTDs, no external
/// entities (so nothing to exploit), no namespaces beyond dropping prefixes.
public enum XMLDocument {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public let offset: Int
        public var description: String { "XML parse error at byte \(offset): \(message)" }
    }

    /// Parses a document and returns its root element.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> XMLElement {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    public static func parse(_ text: String) throws(ParseError) -> XMLElement {
        try parse(Array(text.utf8))
    }
}

private struct Parser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws(XMLDocument.ParseError) -> XMLElement {
        // Skip the prolog: declaration, comments, DOCTYPE, whitespace.
        while true {
            skipWhitespace()
            if starts("<?") { try skip(past: "?>") }
            else if starts("<!--") { try skip(past: "-->") }
            else if starts("<!") { try skip(past: ">") }
            else { break }
        }
        guard starts("<") else { throw fail("expected a root element") }
        return try element()
    }

    mutating func element() throws(XMLDocument.ParseError) -> XMLElement {
        i += 1 // "<"
        let name = readName()
        guard !name.isEmpty else { throw fail("expected an element name") }
        var result = XMLElement(name: localName(name))
        // Attributes.
        while true {
            skipWhitespace()
            guard i < bytes.count else { throw fail("unterminated start tag <\(name)>") }
            if starts("/>") { i += 2; return result }
            if bytes[i] == UInt8(ascii: ">") { i += 1; break }
            let attribute = readName()
            skipWhitespace()
            guard !attribute.isEmpty, i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw fail("bad attribute in <\(name)>") }
            i += 1
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { throw fail("unquoted attribute") }
            let quote = bytes[i]
            i += 1
            let start = i
            while i < bytes.count, bytes[i] != quote { i += 1 }
            guard i < bytes.count else { throw fail("unterminated attribute") }
            result.attributes[attribute] = decodeEntities(bytes[start..<i])
            i += 1
        }
        // Content.
        var text = ""
        while true {
            guard i < bytes.count else { throw fail("unterminated element <\(name)>") }
            if starts("</") {
                i += 2
                let closing = readName()
                guard closing == name else { throw fail("</\(closing)> closes <\(name)>") }
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ">") else { throw fail("bad end tag") }
                i += 1
                result.text = text
                return result
            } else if starts("<!--") {
                try skip(past: "-->")
            } else if starts("<![CDATA[") {
                i += 9
                let start = i
                try skip(past: "]]>")
                text += String(decoding: bytes[start..<(i - 3)], as: UTF8.self)
            } else if starts("<?") {
                try skip(past: "?>")
            } else if bytes[i] == UInt8(ascii: "<") {
                result.children.append(try element())
            } else {
                let start = i
                while i < bytes.count, bytes[i] != UInt8(ascii: "<") { i += 1 }
                text += decodeEntities(bytes[start..<i])
            }
        }
    }

    func starts(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard i + count <= bytes.count else { return false }
        return prefix.withUTF8Buffer { buffer in
            for k in 0..<count where bytes[i + k] != buffer[k] { return false }
            return true
        }
    }

    mutating func skip(past terminator: StaticString) throws(XMLDocument.ParseError) {
        while i < bytes.count {
            if starts(terminator) { i += terminator.utf8CodeUnitCount; return }
            i += 1
        }
        throw fail("missing \(terminator)")
    }

    mutating func skipWhitespace() {
        while i < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[i]) { i += 1 }
    }

    mutating func readName() -> String {
        let start = i
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d || b == UInt8(ascii: ">")
                || b == UInt8(ascii: "/") || b == UInt8(ascii: "=") { break }
            i += 1
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    func decodeEntities(_ slice: ArraySlice<UInt8>) -> String {
        guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
        let text = String(decoding: slice, as: UTF8.self)
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semi) <= 10 else {
                out += "&"
                rest = rest[rest.index(after: amp)...]
                continue
            }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                var scalar: Unicode.Scalar?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init)
                }
                if let scalar { out.unicodeScalars.append(scalar) } else { out += "&\(entity);" }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    func fail(_ message: String) -> XMLDocument.ParseError {
        XMLDocument.ParseError(message: message, offset: i)
    }
}
