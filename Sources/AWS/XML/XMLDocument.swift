import Foundation

/// Parses AWS's Query/XML answers (EC2, IAM, STS, and auth errors from every service) into
/// ``XMLElement`` trees, through FoundationXML's `XMLParser` (libxml2).
///
/// An answer is screened before libxml2 sees it, and refused with a ``ParseError`` that says why:
/// - larger than ``Limits/maximumBytes``;
/// - not UTF-8 (a UTF-16/32 byte order mark, a NUL byte, or an XML declaration naming another
///   encoding: AWS always sends UTF-8, and another encoding could hide what follows);
/// - with a document type declaration (`<!DOCTYPE`): AWS never sends one, and it is where
///   entities are declared. FoundationXML would not load external ones, and libxml2 stops
///   entity loops, but it silently drops the text of declared entities, so a DTD is refused
///   rather than half-read;
/// - nested deeper than ``Limits/maximumDepth``, or with more than ``Limits/maximumElements``
///   elements (checked while parsing; the parse stops there).
public enum XMLDocument {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable, Hashable {
            /// libxml2 found the document malformed.
            case malformed
            /// No root element (an empty body).
            case empty
            /// Refused before or while parsing: a limit, an encoding, a DTD.
            case tooLarge, tooDeep, tooManyElements, notUTF8, doctype
        }
        public let kind: Kind
        public let message: String
        /// Where libxml2 stopped (1-based), nil for refusals made before parsing.
        public let line: Int?
        public let column: Int?

        public init(_ kind: Kind, _ message: String, line: Int? = nil, column: Int? = nil) {
            self.kind = kind
            self.message = message
            self.line = line
            self.column = column
        }

        public var description: String {
            guard let line, let column else { return "XML refused: \(message)" }
            return "XML parse error at line \(line), column \(column): \(message)"
        }
    }

    /// Bounds on what an answer may cost. The defaults leave room for the largest answers Berth
    /// asks for: a DescribeInstances page of 1,000 instances (EC2's largest `MaxResults`) is
    /// about 5 MiB and 150,000 elements (scripts/bench-xml builds one with every field AWS
    /// documents), and nests 11 deep (reservationSet > item > instancesSet > item >
    /// networkInterfaceSet > item > privateIpAddressesSet > item > association > publicIp).
    public struct Limits: Sendable, Hashable {
        /// 32 MiB: six such pages; an unpaged Describe of thousands of instances still fits.
        public var maximumBytes: Int
        /// 64 levels: several times the deepest answer, far below what a stack would mind.
        public var maximumDepth: Int
        /// 2,000,000 elements: over ten such pages; bounds the tree's memory (a 32 MiB answer
        /// of empty `<a/>` elements would otherwise make 8 million of them).
        public var maximumElements: Int

        public init(maximumBytes: Int = 32 << 20, maximumDepth: Int = 64, maximumElements: Int = 2_000_000) {
            self.maximumBytes = maximumBytes
            self.maximumDepth = maximumDepth
            self.maximumElements = maximumElements
        }
    }

    /// Parses a document and returns its root element.
    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(ParseError) -> XMLElement {
        try screen(bytes, limits: limits)
        return try XMLTreeBuilder.parse(bytes, limits: limits)
    }

    public static func parse(_ text: String, limits: Limits = Limits()) throws(ParseError) -> XMLElement {
        try parse(Array(text.utf8), limits: limits)
    }

    /// The refusals that need no parsing: size, encoding, a DTD.
    static func screen(_ bytes: [UInt8], limits: Limits) throws(ParseError) {
        guard bytes.count <= limits.maximumBytes else {
            throw ParseError(.tooLarge, "the answer is \(bytes.count) bytes; at most \(limits.maximumBytes) are accepted")
        }
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.withUnsafeBytes({ $0.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false }) {
            throw ParseError(.notUTF8, "the answer is not UTF-8 (UTF-16/32 or a NUL byte)")
        }
        if let encoding = declaredEncoding(bytes), !["utf-8", "utf8"].contains(encoding.lowercased()) {
            throw ParseError(.notUTF8, "the answer declares encoding '\(encoding.prefix(40))'; only UTF-8 is accepted")
        }
        if hasDoctype(bytes) {
            throw ParseError(.doctype, "the answer has a document type declaration (<!DOCTYPE); AWS answers have none")
        }
    }

    /// The `encoding` of a leading `<?xml … ?>` declaration, if it names one (on bytes: the
    /// standard library's String searching costs more than the rest of a small parse).
    static func declaredEncoding(_ bytes: [UInt8]) -> String? {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes[3...] : bytes[...]
        guard body.starts(with: Array("<?xml".utf8)), let end = firstIndex(of: Array("?>".utf8), in: body),
              let key = firstIndex(of: Array("encoding".utf8), in: body[..<end]) else { return nil }
        let rest = body[(key + 8)..<end].drop { [0x20, 0x09, 0x0D, 0x0A, UInt8(ascii: "=")].contains($0) }
        guard let quote = rest.first, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
            return String(decoding: rest, as: UTF8.self)
        }
        return String(decoding: rest.dropFirst().prefix { $0 != quote }, as: UTF8.self)
    }

    /// Whether `<!DOCTYPE` occurs anywhere: memchr from one `!` to the next (rare in AWS
    /// answers, unlike `<`), so the screen costs little next to the parse.
    static func hasDoctype(_ bytes: [UInt8]) -> Bool {
        let doctype = Array("DOCTYPE".utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return false }
            var offset = 0
            while offset < buffer.count, let found = memchr(base + offset, Int32(UInt8(ascii: "!")), buffer.count - offset) {
                let at = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if at > 0, base[at - 1] == UInt8(ascii: "<"), at + doctype.count < buffer.count,
                   memcmp(base + at + 1, doctype, doctype.count) == 0 { return true }
                offset = at + 1
            }
            return false
        }
    }

    private static func firstIndex(of needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var i = bytes.startIndex
        let last = bytes.endIndex - needle.count
        while i <= last {
            if bytes[i] == first, bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
