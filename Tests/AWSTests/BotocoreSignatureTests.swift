import Foundation
import Testing
@testable import AWS

/// The requests Berth sends, signed by Berth and by botocore (installed with moto),
/// give the same Authorization header.
@Suite struct BotocoreSignatureTests {
    static let script = #"""
        import json, sys, datetime
        from unittest import mock
        import botocore.auth, botocore.credentials
        from botocore.awsrequest import AWSRequest
        cases = json.load(sys.stdin)
        out = []
        for c in cases:
            creds = botocore.credentials.Credentials(c["key"], c["secret"], c.get("token"))
            req = AWSRequest(method="POST", url=c["url"], data=c["body"].encode())
            for name, value in c["headers"]:
                req.headers[name] = value
            fixed = datetime.datetime(2026, 3, 4, 5, 6, 7)
            with mock.patch.object(botocore.auth, "get_current_datetime", return_value=fixed):
                botocore.auth.SigV4Auth(creds, c["service"], c["region"]).add_auth(req)
            out.append(req.headers["Authorization"])
        print(json.dumps(out))
        """#

    @Test func sameSignatureAsBotocore() throws {
        let available = (try? run(["python3", "-c", "import botocore"], input: Data())) != nil
        guard available else {
            TestEnvironment.missing("python3 with botocore is needed (pip install 'moto[server]==5.2.1')")
            return
        }
        let date = Date(timeIntervalSince1970: 1_772_600_767) // 2026-03-04T05:06:07Z
        var configuration = AWSClient.Configuration()
        configuration.extraHeaders = [HTTPHeader("x-moto-account-id", "111122223333")]
        let plain = AWSClient(credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                              region: "eu-west-2", endpoints: Endpoints(global: "http://127.0.0.1:5000"), configuration: configuration)
        let session = AWSClient(credentials: AWSCredentials(accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret/with+chars",
                                                            sessionToken: "FwoGZXIvYXdzE//token=="),
                                region: "us-east-2", endpoints: Endpoints())
        var filters = QueryParameters()
        filters.filters([EC2Filter("tag:berth:cluster", ["c 1", "ü/ñ"])])
        let cases: [(AWSClient, AWSService, String, String, [HTTPHeader], [UInt8])] = [
            (plain, .ec2, "DescribeVpcs", "application/x-www-form-urlencoded; charset=utf-8", [],
             filters.body(action: "DescribeVpcs", version: "2016-11-15")),
            (plain, .iam, "GetRole", "application/x-www-form-urlencoded; charset=utf-8", [],
             Array("Action=GetRole&Version=2010-05-08&RoleName=berth-t1".utf8)),
            (plain, .ecs, "RunTask", "application/x-amz-json-1.1",
             [HTTPHeader("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RunTask")], Array(#"{"cluster":"c","count":1}"#.utf8)),
            (session, .logs, "CreateLogGroup", "application/x-amz-json-1.1",
             [HTTPHeader("X-Amz-Target", "Logs_20140328.CreateLogGroup")], Array(#"{"logGroupName":"/berth/t1"}"#.utf8)),
            (session, .sts, "GetCallerIdentity", "application/x-www-form-urlencoded; charset=utf-8", [],
             Array("Action=GetCallerIdentity&Version=2011-06-15".utf8)),
        ]
        var payload: [[String: Any]] = []
        var ours: [String] = []
        for (client, service, operation, contentType, headers, body) in cases {
            let request = try client.signedRequest(service, operation: operation, contentType: contentType, headers: headers,
                                                   body: body, date: date)
            ours.append(request.headers.first { $0.name == "Authorization" }!.value)
            let unsigned = request.headers.filter { !["Authorization", "X-Amz-Date", "X-Amz-Security-Token", "User-Agent"].contains($0.name) }
            var entry: [String: Any] = [
                "key": client.credentials.accessKeyId, "secret": client.credentials.secretAccessKey.reveal,
                "service": service.signingName, "region": service.signingRegion(for: client.region), "url": request.url,
                "headers": unsigned.map { [$0.name, $0.value] }, "body": String(decoding: body, as: UTF8.self),
            ]
            if let token = client.credentials.sessionTokenValue?.reveal { entry["token"] = token }
            payload.append(entry)
        }
        let output = try run(["python3", "-c", Self.script], input: JSONSerialization.data(withJSONObject: payload))
        let theirs = try JSONDecoder().decode([String].self, from: output)
        #expect(theirs.count == ours.count)
        for (mine, botocore) in zip(ours, theirs) { #expect(mine == botocore) }
    }

    func run(_ arguments: [String], input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return data
    }
}
