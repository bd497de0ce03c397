import Foundation
import Testing
@testable import AWS

/// AWS's official SigV4 test suite (38 cases): canonical request, string to sign and
/// signature of both the header and the query (presigned) form.
@Suite struct SigV4SuiteTests {
    static let caseNames: [String] = {
        guard let dir = TestEnvironment.sigV4SuiteDirectory,
              let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }()

    @Test func suiteIsPresentAndComplete() {
        guard let dir = TestEnvironment.sigV4SuiteDirectory else {
            TestEnvironment.missing("SigV4 suite not found: set BERTH_SIGV4_SUITE or put it at "
                + "\(TestEnvironment.projectRoot.deletingLastPathComponent().path)/shared/aws-signing-test-suite")
            return
        }
        #expect(Self.caseNames.count == 38, "expected 38 cases in \(dir.path)")
    }

    @Test(arguments: caseNames) func headerSigning(_ name: String) throws {
        let testCase = try SuiteCase(directory: TestEnvironment.sigV4SuiteDirectory!.appendingPathComponent(name))
        let result = testCase.signer.signHeaders(testCase.request, date: testCase.date, options: testCase.options)
        #expect(result.canonicalRequest == testCase.expected("header-canonical-request.txt"))
        #expect(result.stringToSign == testCase.expected("header-string-to-sign.txt"))
        #expect(result.signature == testCase.expected("header-signature.txt"))
        let authorization = result.headers.first { $0.name == "Authorization" }?.value ?? ""
        #expect(testCase.expected("header-signed-request.txt").contains("Authorization:\(authorization)"))
    }

    @Test(arguments: caseNames) func queryPresigning(_ name: String) throws {
        let testCase = try SuiteCase(directory: TestEnvironment.sigV4SuiteDirectory!.appendingPathComponent(name))
        var options = testCase.options
        options.addContentSHA256Header = false
        let result = testCase.signer.presign(testCase.request, date: testCase.date, expires: testCase.expires, options: options)
        #expect(result.canonicalRequest == testCase.expected("query-canonical-request.txt"))
        #expect(result.stringToSign == testCase.expected("query-string-to-sign.txt"))
        #expect(result.signature == testCase.expected("query-signature.txt"))
        #expect(result.query.last == QueryItem("X-Amz-Signature", testCase.expected("query-signature.txt")))
    }
}

/// One folder of the suite: `context.json` plus `request.txt`, parsed.
struct SuiteCase {
    let directory: URL
    let signer: SigV4Signer
    let request: SignableRequest
    let date: Date
    let expires: Int
    let options: SigV4Signer.Options

    struct Context: Decodable {
        struct Credentials: Decodable {
            let access_key_id: String
            let secret_access_key: String
            let token: String?
        }
        let credentials: Credentials
        let expiration_in_seconds: Int
        let normalize: Bool
        let region: String
        let service: String
        let sign_body: Bool
        let timestamp: String
        let omit_session_token: Bool?
    }

    init(directory: URL) throws {
        self.directory = directory
        let context = try JSONDecoder().decode(Context.self, from: Data(contentsOf: directory.appendingPathComponent("context.json")))
        let credentials = AWSCredentials(accessKeyId: context.credentials.access_key_id,
                                         secretAccessKey: context.credentials.secret_access_key,
                                         sessionToken: context.credentials.token)
        signer = SigV4Signer(credentials: credentials, region: context.region, service: context.service)
        date = try #require(ISO8601DateFormatter().date(from: context.timestamp))
        expires = context.expiration_in_seconds
        options = SigV4Signer.Options(normalizePath: context.normalize, addContentSHA256Header: context.sign_body,
                                      omitSessionTokenFromSignature: context.omit_session_token ?? false)
        request = try Self.parse(Data(contentsOf: directory.appendingPathComponent("request.txt")))
    }

    func expected(_ file: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)) ?? "<missing \(file)>"
    }

    /// Parses the suite's raw HTTP request: request line, headers (with folded
    /// continuation lines), blank line, body.
    static func parse(_ data: Data) throws -> SignableRequest {
        let text = String(decoding: data, as: UTF8.self)
        let (head, body): (Substring, Substring) = {
            if let range = text.range(of: "\n\n") { return (text[..<range.lowerBound], text[range.upperBound...]) }
            return (Substring(text), "")
        }()
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix { $0 != " " })
        var target = requestLine.dropFirst(method.count + 1)
        if let http = target.range(of: " HTTP/", options: .backwards) { target = target[..<http.lowerBound] }
        let pathPart = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [QueryItem] = []
        if pathPart.count > 1, !pathPart[1].isEmpty {
            for pair in pathPart[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append(QueryItem(SigV4Canonical.decode(String(kv[0])), kv.count > 1 ? SigV4Canonical.decode(String(kv[1])) : ""))
            }
        }
        var headers: [HTTPHeader] = []
        for line in lines where !line.isEmpty {
            if line.first == " " || line.first == "\t", var last = headers.popLast() {
                last.value += "\n" + line
                headers.append(last)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(HTTPHeader(String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        return SignableRequest(method: method, path: String(pathPart[0]), query: query, headers: headers, body: Array(body.utf8))
    }
}
