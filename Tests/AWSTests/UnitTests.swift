import Foundation
import Testing
@testable import AWS

@Suite struct CredentialsTests {
    let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                     sessionToken: "token-that-must-not-leak")

    @Test func secretNeverPrints() {
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials), dumped] {
            #expect(text.contains("AKIDEXAMPLE"))
            #expect(!text.contains("wJalrXUtnFEMI"))
            #expect(!text.contains("token-that-must-not-leak"))
        }
    }

    @Test func signatureHeadersCarryNoSecret() {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG"),
                                 region: "us-east-2", service: "sts")
        let signed = signer.signHeaders(SignableRequest(method: "POST", headers: [HTTPHeader("Host", "sts.us-east-2.amazonaws.com")]),
                                        date: Date(timeIntervalSince1970: 0))
        let all = signed.headers.map { "\($0.name): \($0.value)" }.joined() + signed.canonicalRequest + signed.stringToSign
        #expect(!all.contains("wJalrXUtnFEMI"))
    }

    @Test func temporaryCredentialsAreRecognised() {
        #expect(credentials.isTemporary)
        #expect(AWSCredentials(accessKeyId: "ASIAXXX", secretAccessKey: "s").isTemporary)
        #expect(!AWSCredentials(accessKeyId: "AKIAXXX", secretAccessKey: "s").isTemporary)
    }

    @Test func fromEnvironment() {
        #expect(AWSCredentials.fromEnvironment([:]) == nil)
        #expect(AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": ""]) == nil)
        let c = AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": ""])
        #expect(c?.accessKeyId == "A")
        #expect(c?.hasSessionToken == false)
    }
}

@Suite struct EndpointTests {
    @Test func defaults() {
        let e = Endpoints()
        #expect(e.url(for: .ec2, region: "eu-west-2") == "https://ec2.eu-west-2.amazonaws.com")
        #expect(e.url(for: .iam, region: "eu-west-2") == "https://iam.amazonaws.com")
        #expect(e.url(for: .ecr, region: "us-east-2") == "https://api.ecr.us-east-2.amazonaws.com")
        #expect(e.url(for: .logs, region: "us-west-1") == "https://logs.us-west-1.amazonaws.com")
        #expect(e.url(for: .sts, region: "us-east-2") == "https://sts.us-east-2.amazonaws.com")
        #expect(AWSService.iam.signingRegion(for: "eu-central-1") == "us-east-1")
        #expect(AWSService.ec2.signingRegion(for: "eu-central-1") == "eu-central-1")
    }

    @Test func environmentOverridesAsTheSDKsDo() {
        let e = Endpoints.fromEnvironment(["AWS_ENDPOINT_URL": "http://127.0.0.1:5000/",
                                           "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://logs.local:4566",
                                           "AWS_ENDPOINT_URL_IAM": ""])
        #expect(e.url(for: .ec2, region: "us-east-2") == "http://127.0.0.1:5000")
        #expect(e.url(for: .iam, region: "us-east-2") == "http://127.0.0.1:5000")
        #expect(e.url(for: .logs, region: "us-east-2") == "http://logs.local:4566")
        #expect(EndpointURL("http://127.0.0.1:5000")?.hostHeader == "127.0.0.1:5000")
        #expect(EndpointURL("https://ec2.us-east-2.amazonaws.com:443")?.hostHeader == "ec2.us-east-2.amazonaws.com")
        #expect(EndpointURL("ftp://x") == nil)
    }
}

@Suite struct RetryPolicyTests {
    @Test func standardModeFormula() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 1, maxBackoff: 2)
        #expect(policy.delay(beforeRetry: 1, random: 1) == 1)
        #expect(policy.delay(beforeRetry: 2, random: 1) == 2)
        #expect(policy.delay(beforeRetry: 3, random: 1) == 2) // capped
        #expect(policy.delay(beforeRetry: 3, random: 0.5) == 1)
        #expect(policy.delay(beforeRetry: 1, random: 0) == 0)
        for retry in 1...10 { #expect(policy.delay(beforeRetry: retry) <= 2) }
    }

    @Test func defaultsStayWithinAFewSeconds() {
        let policy = RetryPolicy()
        let worst = (1..<policy.maxAttempts).map { policy.delay(beforeRetry: $0, random: 1) }.reduce(0, +)
        #expect(worst <= 5)
    }

    @Test func quotaRunsDryAndRefills() {
        let quota = RetryQuota(costs: RetryQuota.Costs(capacity: 10, retryCost: 5, timeoutCost: 10, successRefund: 1))
        #expect(quota.acquire(timeout: false) == 5)
        #expect(quota.acquire(timeout: true) == nil)
        #expect(quota.acquire(timeout: false) == 5)
        #expect(quota.acquire(timeout: false) == nil)
        quota.release(spent: 5)
        #expect(quota.available == 5)
        quota.release(spent: 0)
        #expect(quota.available == 6)
    }

    @Test func rateLimiterPaces() {
        let limiter = RateLimiter(rate: RateLimiter.Rate(perSecond: 50, burst: 2))
        let start = Date()
        for _ in 0..<7 { limiter.acquire() }
        // 2 from the burst, 5 more at 50/s: about 0.1 s.
        #expect(Date().timeIntervalSince(start) >= 0.08)
    }
}

@Suite struct XMLTests {
    @Test func parsesAWSResponse() throws {
        let root = try XMLDocument.parse("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- comment -->
            <DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
              <requestId>r</requestId>
              <vpcSet><item><vpcId>vpc-1</vpcId><tagSet><item><key>Name</key><value>a &amp; b &lt;c&gt; &#233;&#x41;</value></item></tagSet></item>
              <item><vpcId>vpc-2</vpcId><tagSet/></item></vpcSet>
              <nextToken><![CDATA[tok<en]]></nextToken>
            </DescribeVpcsResponse>
            """)
        #expect(root.name == "DescribeVpcsResponse")
        #expect(root.items("vpcSet").count == 2)
        #expect(root.items("vpcSet")[0].ec2Tags == [Tag("Name", "a & b <c> éA")])
        #expect(root.string("nextToken") == "tok<en")
        #expect(root.attributes["xmlns"] == "http://ec2.amazonaws.com/doc/2016-11-15/")
    }

    @Test func keepsLocalNamesAttributesAndText() throws {
        let root = try XMLDocument.parse("""
            <ec2:Response xmlns:ec2="http://ec2.amazonaws.com/doc/2016-11-15/" note="a &amp; b"><ec2:Code>X</ec2:Code> tail</ec2:Response>
            """)
        #expect(root.name == "Response")
        #expect(root.attributes == ["xmlns:ec2": "http://ec2.amazonaws.com/doc/2016-11-15/", "note": "a & b"])
        #expect(root.string("Code") == "X")
        #expect(root.text == " tail")
    }

    @Test(arguments: [
        ("<a><b></a>", XMLDocument.ParseError.Kind.malformed), ("<Response><x>1</x>", .malformed), ("not xml", .malformed),
        ("<a/><b/>", .malformed), ("<a>x&undeclared;</a>", .malformed), ("<a>", .empty), ("", .empty), ("   ", .empty),
    ])
    func rejectsBrokenDocuments(_ text: String, _ kind: XMLDocument.ParseError.Kind) {
        let result = Result { () throws(XMLDocument.ParseError) in try XMLDocument.parse(text) }
        guard case .failure(let error) = result else { Issue.record("parsed \(text)"); return }
        #expect(error.kind == kind, "\(text): \(error)")
    }

    @Test func findsADoctypeAnywhere() {
        for text in ["<!DOCTYPE a><a/>", "<a/><!DOCTYPE", "<a>x</a>\n<!DOCTYPE a [<!ENTITY e 'x'>]>", "!!<!DOCTYPE"] {
            #expect(XMLDocument.hasDoctype(Array(text.utf8)), "\(text)")
        }
        for text in ["", "!", "<!", "<!DOCTYP", "<a>Hi! <!-- DOCTYPE --></a>", "<a>!DOCTYPE</a>", "<!doctype html>"] {
            #expect(!XMLDocument.hasDoctype(Array(text.utf8)), "\(text)")
        }
    }

    @Test func malformedNamesWhereAndWhat() {
        let result = Result { () throws(XMLDocument.ParseError) in try XMLDocument.parse("<a>\n<b></a>") }
        guard case .failure(let error) = result else { Issue.record("parsed"); return }
        #expect(error.line == 2)
        #expect(error.description.contains("line 2") && error.description.contains("an end tag that does not match its start tag (libxml2 error 76)"), "\(error)")
    }
}

@Suite struct QueryEncodingTests {
    @Test func flattensAndEncodes() {
        var p = QueryParameters()
        p.filters([EC2Filter("tag:berth:cluster", ["a b", "c/d"])])
        p.tagSpecifications(["vpc"], [Tag("Name", "x=y")])
        p.members("Names", ["n1"])
        let body = String(decoding: p.body(action: "DescribeVpcs", version: "2016-11-15"), as: UTF8.self)
        #expect(body == "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3Aberth%3Acluster&Filter.1.Value.1=a%20b"
            + "&Filter.1.Value.2=c%2Fd&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=Name"
            + "&TagSpecification.1.Tag.1.Value=x%3Dy&Names.member.1=n1")
    }
}
