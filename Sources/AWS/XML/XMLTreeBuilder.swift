import Foundation
import FoundationXML

/// Builds the ``XMLElement`` tree from FoundationXML's `XMLParser` (libxml2's SAX events), with
/// an explicit stack rather than recursion, and stops the parse at the first limit crossed.
///
/// libxml2 through FoundationXML runs in recover mode: `parse()` can return true for a document
/// it found malformed, so the first error reported to the delegate decides, not the return value.
/// `XMLParser` also skips documents shorter than 4 bytes without a word; no root element is an
/// error of its own.
final class XMLTreeBuilder: NSObject, XMLParserDelegate {
    private let limits: XMLDocument.Limits
    private var stack: [XMLElement] = []
    private var root: XMLElement?
    private var elements = 0
    private var refusal: XMLDocument.ParseError?
    private var firstError: XMLDocument.ParseError?

    private init(limits: XMLDocument.Limits) {
        self.limits = limits
    }

    /// Parses without ``XMLDocument``'s screening (tests use this to show what libxml2 itself does
    /// with entities).
    static func parse(_ bytes: [UInt8], limits: XMLDocument.Limits) throws(XMLDocument.ParseError) -> XMLElement {
        let builder = XMLTreeBuilder(limits: limits)
        // From a stream, which XMLParser feeds to libxml2 in 128 KiB chunks: given the whole
        // document as one chunk, libxml2 refuses anything over 10,000,000 bytes ("huge input
        // lookup"), which would make ``XMLDocument/Limits/maximumBytes`` meaningless.
        let parser = FoundationXML.XMLParser(stream: InputStream(data: Data(bytes)))
        parser.shouldResolveExternalEntities = false
        parser.externalEntityResolvingPolicy = .never
        parser.shouldProcessNamespaces = false // prefixes are dropped below; xmlns stays an attribute
        parser.delegate = builder // weak: `builder` lives until the end of this function
        let succeeded = parser.parse()
        if let refusal = builder.refusal { throw refusal }
        if let error = builder.firstError { throw error }
        if !succeeded {
            throw XMLDocument.ParseError(.malformed, describe(parser.parserError), line: parser.lineNumber, column: parser.columnNumber)
        }
        guard let root = builder.root, builder.stack.isEmpty else {
            throw XMLDocument.ParseError(.empty, builder.stack.isEmpty ? "no root element" : "unterminated <\(builder.stack[0].name)>")
        }
        return root
    }

    private func refuse(_ parser: FoundationXML.XMLParser, _ kind: XMLDocument.ParseError.Kind, _ message: String) {
        guard refusal == nil else { return }
        refusal = XMLDocument.ParseError(kind, message, line: parser.lineNumber, column: parser.columnNumber)
        parser.abortParsing()
    }

    func parser(_ parser: FoundationXML.XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String]) {
        guard refusal == nil else { return }
        guard stack.count < limits.maximumDepth else {
            return refuse(parser, .tooDeep, "elements nest deeper than \(limits.maximumDepth) levels")
        }
        elements += 1
        guard elements <= limits.maximumElements else {
            return refuse(parser, .tooManyElements, "more than \(limits.maximumElements) elements")
        }
        stack.append(XMLElement(name: Self.localName(elementName), attributes: attributes))
    }

    func parser(_ parser: FoundationXML.XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard refusal == nil, let element = stack.popLast() else { return }
        if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
    }

    func parser(_ parser: FoundationXML.XMLParser, foundCharacters string: String) {
        guard refusal == nil, !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: FoundationXML.XMLParser, foundCDATA block: Data) {
        guard refusal == nil, !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: block, as: UTF8.self)
    }

    func parser(_ parser: FoundationXML.XMLParser, parseErrorOccurred error: any Error) {
        guard firstError == nil else { return }
        firstError = XMLDocument.ParseError(.malformed, Self.describe(error), line: parser.lineNumber, column: parser.columnNumber)
    }

    /// libxml2's error code and what it means. FoundationXML's NSError carries no message, and
    /// its `XMLParser.ErrorCode` names are one off from libxml2's codes on Linux, so the common
    /// codes are named here (libxml2's `xmlParserErrors`, stable across its versions).
    private static func describe(_ error: (any Error)?) -> String {
        guard let error else { return "libxml2 stopped without an error" }
        let code = (error as NSError).code
        guard let meaning = libxml2Errors[code] else { return "libxml2 error \(code)" }
        return "\(meaning) (libxml2 error \(code))"
    }

    private static let libxml2Errors: [Int: String] = [
        1: "an internal error or one of libxml2's own limits (such as an attribute value over 10,000,000 bytes)",
        2: "out of memory", 3: "no document start", 4: "empty document",
        5: "content after the root element, or the document ends early", 9: "a character XML does not allow",
        26: "an undeclared entity", 29: "an external entity", 32: "an unsupported encoding",
        38: "'<' in an attribute value", 39: "an unquoted attribute value", 41: "an attribute without a value",
        42: "an attribute given twice", 45: "an unfinished comment", 57: "an unfinished XML declaration",
        63: "an unfinished CDATA section", 68: "a name expected", 73: "'>' expected", 74: "'</' expected",
        76: "an end tag that does not match its start tag", 77: "an element that is not closed",
        89: "an entity reference loop (entity expansion)",
    ]

    /// `ec2:Foo` → `Foo`: AWS's answers use one namespace, so prefixes carry nothing.
    private static func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }
}
