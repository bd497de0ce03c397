import AWS
import Foundation
import Testing
import TestSupport

/// Against a moto that checks signatures (the harness's second moto, switched with
/// /moto-api/reset-auth). Serialized, and under AuthEmulatorLock: the switch is server-wide
/// and other targets' tests (IAMPolicyTests) flip it too.
@Suite(.serialized) struct AuthTests {
    @Test func correctKeyPassesWrongSecretAndUnknownKeyFail() async throws {
        guard let emulator = Emulator.current() else { return }
        guard let authMoto = emulator.authMoto else {
            TestEnvironment.missing("BERTH_MOTO_AUTH_URL is not set (scripts/emulator/start exports it)")
            return
        }
        try await onThread { try AuthEmulatorLock.with {
            // While auth is off: an IAM user with a key and a policy that allows everything.
            // Generous: moto's first IAM call in an account loads its managed policies (seconds,
            // more on a loaded machine), and CreateUser is not sent twice after a timeout.
            var slow = AWSClient.Configuration()
            slow.timeouts = HTTPTimeouts(connect: 5, total: 90)
            let admin = AWSClient(credentials: AWSCredentials(accessKeyId: "AKIDADMIN0000000", secretAccessKey: "x"),
                                  region: "us-east-2", endpoints: Endpoints(global: authMoto), configuration: slow)
            let user = "berth-auth-\(UUID().uuidString.prefix(8))"
            var p = QueryParameters()
            p.set("UserName", user)
            _ = try admin.query(.iam, action: "CreateUser", p)
            p.set("PolicyName", "all")
            p.set("PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
            _ = try admin.query(.iam, action: "PutUserPolicy", p)
            var k = QueryParameters()
            k.set("UserName", user)
            let key = try admin.queryResult(.iam, action: "CreateAccessKey", k)
            let keyId = try #require(key.string("AccessKey", "AccessKeyId"))
            let secret = try #require(key.string("AccessKey", "SecretAccessKey"))

            _ = try Emulator.motoAPI(authMoto, "/moto-api/reset-auth", body: "0", contentType: "text/plain")
            defer { _ = try? Emulator.motoAPI(authMoto, "/moto-api/reset-auth", body: "inf", contentType: "text/plain") }

            func client(_ id: String, _ secret: String) -> AWSClient {
                AWSClient(credentials: AWSCredentials(accessKeyId: id, secretAccessKey: secret), region: "us-east-2",
                          endpoints: Endpoints(global: authMoto), configuration: {
                              var c = AWSClient.Configuration()
                              c.retry = .none
                              return c
                          }())
            }
            let good = client(keyId, secret)
            #expect(try good.getCallerIdentity().arn.hasSuffix(":user/\(user)"))
            _ = try good.describeVpcs()
            _ = try good.describeClusters(["none"])

            let wrongSecret = client(keyId, secret + "x")
            for call in [{ _ = try wrongSecret.getCallerIdentity() }, { _ = try wrongSecret.describeVpcs() },
                         { _ = try wrongSecret.describeClusters(["none"]) }] as [() throws -> Void] {
                let error = #expect(throws: AWSError.self) { try call() }
                #expect(error?.classification == .auth)
                #expect(error?.description.contains(secret) == false)
            }
            let unknown = client("AKIAUNKNOWNKEY000000", secret)
            let error = #expect(throws: AWSError.self) { try unknown.getCallerIdentity() }
            #expect(error?.classification == .auth)
            #expect(error?.code == "InvalidClientTokenId")
            let ec2 = #expect(throws: AWSError.self) { try unknown.describeVpcs() }
            #expect(ec2?.classification == .auth)
            #expect(ec2?.httpStatus == 401)
        } }
    }
}
