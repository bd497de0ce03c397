import AWS
import Foundation
import Testing

@Suite struct STSTests {
    @Test func callerIdentityOfAFreshAccount() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        let identity = try await onThread { try client.getCallerIdentity() }
        let account = client.configuration.extraHeaders.first { $0.name == "x-moto-account-id" }?.value
        #expect(identity.account == account)
        #expect(identity.arn.hasPrefix("arn:aws:sts::\(identity.account):"))
    }

    @Test func unreachableEndpointIsATransientTransportError() async throws {
        // Port 9 (discard) on localhost: nothing listens, connect is refused at once.
        let client = AWSClient(credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "s3cr3t-never-printed"),
                               region: "us-east-2", endpoints: Endpoints(global: "http://127.0.0.1:9"),
                               configuration: {
                                   var c = AWSClient.Configuration()
                                   c.retry = RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxBackoff: 0.01)
                                   return c
                               }())
        let error = await #expect(throws: AWSError.self) { try await onThread { try client.getCallerIdentity() } }
        #expect(error?.classification == .transient)
        #expect(error?.attempts == 2)
        #expect(error?.code == "Transport")
        #expect(error?.description.contains("Couldn't connect") == true || error?.description.contains("onnect") == true)
        #expect(error?.description.contains("s3cr3t") == false)
    }
}
