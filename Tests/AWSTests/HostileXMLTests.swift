import Foundation
import Testing
@testable import AWS

/// Documents an attacker (or a broken endpoint behind AWS_ENDPOINT_URL) could send: each is
/// refused, or handled without harm, well within a generous deadline and without the process
/// blowing up (a crash or a runaway allocation would take the whole suite down). Where
/// ``XMLDocument`` refuses a document before libxml2 sees it, the same document also goes
/// straight to ``XMLTreeBuilder`` to show that the parser's own settings hold as a second line.
@Suite struct HostileXMLTests {
    /// Loose on purpose: a debug build on a loaded 2-core machine. The point is "bounded", not speed.
    static let deadline = Duration.seconds(60)

    func timed<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let value = try body()
        return (value, clock.now - start)
    }

    func refusal(_ bytes: [UInt8], limits: XMLDocument.Limits = XMLDocument.Limits()) -> (XMLDocument.ParseError?, Duration) {
        let (result, elapsed) = timed { Result { () throws(XMLDocument.ParseError) in try XMLDocument.parse(bytes, limits: limits) } }
        guard case .failure(let error) = result else { return (nil, elapsed) }
        return (error, elapsed)
    }

    /// Straight to libxml2, without XMLDocument's screening.
    func direct(_ document: String) -> Result<XMLElement, XMLDocument.ParseError> {
        Result { () throws(XMLDocument.ParseError) in try XMLTreeBuilder.parse(Array(document.utf8), limits: XMLDocument.Limits()) }
    }

    /// Every text and attribute value in the tree.
    func allText(_ element: XMLElement) -> String {
        element.text + element.attributes.values.joined() + element.children.map(allText).joined()
    }

    static let billionLaughs: String = {
        var doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
        doc += " <!ENTITY lol1 \"" + String(repeating: "&lol;", count: 10) + "\">\n"
        for level in 2...9 { doc += " <!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">\n" }
        return doc + "]>\n<lolz>&lol9;</lolz>"
    }()

    @Test func entityExpansionIsRefused() throws {
        let (error, elapsed) = refusal(Array(Self.billionLaughs.utf8))
        #expect(error?.kind == .doctype, "\(String(describing: error))")
        #expect(elapsed < Self.deadline)

        // libxml2 on its own: its entity-loop check stops the 10^9 expansion.
        let (result, directElapsed) = timed { direct(Self.billionLaughs) }
        switch result {
        case .failure(let error): #expect(error.kind == .malformed, "\(error)")
        case .success(let root): Issue.record("expanded to \(allText(root).utf8.count) bytes of text")
        }
        #expect(directElapsed < Self.deadline)
    }

    static let externalEntities = [
        "<?xml version=\"1.0\"?>\n<!DOCTYPE r [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n<r>a&xxe;b</r>",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE r [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n<r v=\"&xxe;\">x</r>",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE r [ <!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p; ]>\n<r>x</r>",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"file:///etc/passwd\">\n<r>x</r>",
    ]

    @Test(arguments: externalEntities)
    func externalEntitiesAreNeverRead(_ document: String) throws {
        let passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        try #require(passwd.contains("root:"), "the test needs a /etc/passwd to look for")

        let (error, _) = refusal(Array(document.utf8))
        #expect(error?.kind == .doctype, "\(String(describing: error))")

        // libxml2 on its own (external entities off): refused, or parsed without the file.
        switch direct(document) {
        case .success(let root): #expect(!allText(root).contains("root:"))
        case .failure(let error): #expect(!error.description.contains("root:"))
        }
    }

    /// A DTD hidden behind another encoding never reaches libxml2 either.
    @Test func otherEncodingsAreRefused() {
        let utf7 = "<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-!DOCTYPE r +AFs- +ADw-!ENTITY x SYSTEM +ACI-file:///etc/passwd+ACI-+AD4- +AF0-+AD4-+ADw-r+AD4-+ACY-x+ADs-+ADw-/r+AD4-"
        #expect(refusal(Array(utf7.utf8)).0?.kind == .notUTF8)
        let latin1 = "<?xml version='1.0' encoding='ISO-8859-1'?><r>caf\u{E9}</r>"
        #expect(refusal(Array(latin1.utf8)).0?.kind == .notUTF8)
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE r [<!ENTITY e \"hi\">]><r>&e;</r>".utf16 {
            utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)]
        }
        #expect(refusal(utf16).0?.kind == .notUTF8)
        // UTF-8, declared or not, with or without a byte order mark, is fine.
        #expect(refusal(Array("<?xml version=\"1.0\" encoding=\"utf-8\"?><r>caf\u{E9}</r>".utf8)).0 == nil)
        #expect(refusal([0xEF, 0xBB, 0xBF] + Array("<?xml version=\"1.0\" encoding='UTF-8'?><r/>".utf8)).0 == nil)
    }

    @Test func deepNestingIsRefusedAtTheLimit() throws {
        let levels = 100_000
        let deep = Array((String(repeating: "<a>", count: levels) + String(repeating: "</a>", count: levels)).utf8)
        let (error, elapsed) = refusal(deep)
        #expect(error?.kind == .tooDeep, "\(String(describing: error))")
        #expect(error?.description.contains("deeper than 64 levels") == true, "\(String(describing: error))")
        #expect(elapsed < Self.deadline)

        // The limit itself: 64 levels parse, 65 do not.
        let limit = XMLDocument.Limits().maximumDepth
        func nested(_ n: Int) -> [UInt8] { Array((String(repeating: "<a>", count: n) + "x" + String(repeating: "</a>", count: n)).utf8) }
        #expect(refusal(nested(limit)).0 == nil)
        #expect(refusal(nested(limit + 1)).0?.kind == .tooDeep)
    }

    /// 10 MiB of text in one element: under the size limit, so it is parsed, whole.
    @Test func tenMegabytesOfTextParse() throws {
        let filler = String(repeating: "0123456789abcdef", count: (10 << 20) / 16)
        let (root, elapsed) = try timed { try XMLDocument.parse(Array("<Response><blob>\(filler)</blob></Response>".utf8)) }
        #expect(root.string("blob")?.utf8.count == 10 << 20)
        #expect(elapsed < Self.deadline)
    }

    /// A 10 MiB attribute value crosses libxml2's own limit (10,000,000 bytes): refused, saying so.
    @Test func tenMegabytesInOneAttributeAreRefused() {
        let filler = String(repeating: "0123456789abcdef", count: (10 << 20) / 16)
        let (error, elapsed) = refusal(Array("<Response note=\"\(filler)\"/>".utf8))
        #expect(error?.kind == .malformed)
        #expect(error?.description.contains("an attribute value over 10,000,000 bytes") == true, "\(String(describing: error))")
        #expect(elapsed < Self.deadline)
    }

    /// 10 MiB of empty elements is 2.6 million nodes: refused at the element limit, not built.
    @Test func tenMegabytesOfElementsAreRefused() {
        let items = String(repeating: "<a/>", count: (10 << 20) / 4)
        let (error, elapsed) = refusal(Array("<Response>\(items)</Response>".utf8))
        #expect(error?.kind == .tooManyElements, "\(String(describing: error))")
        #expect(elapsed < Self.deadline)
    }

    @Test func oversizedDocumentsAreRefusedUnread() {
        let limits = XMLDocument.Limits()
        let big = Array("<Response><x>".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: limits.maximumBytes) + Array("</x></Response>".utf8)
        let (error, elapsed) = refusal(big)
        #expect(error?.kind == .tooLarge)
        #expect(error?.description.contains("at most \(limits.maximumBytes)") == true, "\(String(describing: error))")
        #expect(elapsed < Self.deadline)
    }

    /// What the Query client makes of a refused answer: a clear, non-retryable AWSError.
    @Test func aRefusedAnswerIsAnUnparseableResponse() {
        func answer(_ body: String, _ service: AWSService, _ action: String) -> AWSError? {
            let response = HTTPResponse(status: 200, headers: [HTTPHeader("x-amzn-RequestId", "req-9")], body: Array(body.utf8))
            let result = Result { () throws(AWSError) in try AWSClient.queryRoot(response, service: service, action: action) }
            guard case .failure(let error) = result else { return nil }
            return error
        }
        let deep = answer(String(repeating: "<a>", count: 1_000) + String(repeating: "</a>", count: 1_000), .ec2, "DescribeInstances")
        #expect(deep?.code == "UnparseableResponse")
        #expect(deep?.classification == .other && deep?.isRetryable == false)
        #expect(deep?.requestId == "req-9")
        #expect(deep?.description.contains("ec2.DescribeInstances failed: UnparseableResponse: XML parse error at line 1") == true,
                "\(String(describing: deep))")
        #expect(deep?.message.contains("deeper than 64 levels") == true, "\(String(describing: deep))")

        let laughs = answer(Self.billionLaughs, .iam, "GetRole")
        #expect(laughs?.code == "UnparseableResponse" && laughs?.message.contains("<!DOCTYPE") == true, "\(String(describing: laughs))")
    }

    /// An error answer with a hostile body still becomes a classified AWSError.
    @Test func hostileErrorBodiesDecodeToTheStatus() {
        for body in [Self.billionLaughs, Self.externalEntities[0], String(repeating: "<a>", count: 100_000)] {
            let (error, elapsed) = timed {
                AWSErrorDecoder.decode(HTTPResponse(status: 403, headers: [], body: Array(body.utf8)), service: .ecs, operation: "RunTask")
            }
            #expect(error.code == "HTTP403" && error.classification == .auth)
            #expect(!error.message.contains("root:"))
            #expect(elapsed < Self.deadline)
        }
    }
}
