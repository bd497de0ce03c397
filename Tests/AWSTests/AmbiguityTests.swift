import AWS
import Foundation
import Testing
import TestSupport

/// In-call retries never make a second resource: a create AWS does not deduplicate is not
/// re-sent after a failure that leaves its outcome unknown (the emulator's "lost" faults: the
/// create takes effect in moto, then the connection is closed, or reset, without an answer),
/// while creates with a client token, reads and unambiguous refusals are retried as before.
@Suite struct AmbiguityTests {
    /// A client whose thread already holds a kept-alive connection to the emulator.
    func warm(_ client: AWSClient) throws {
        _ = try client.describeVpcs()
    }

    @Test(arguments: ["lost", "lost-reset"])
    func aLostAnswerOfACreateIsNotResent(_ fault: String) async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        let error = try await onThread { () -> AWSError? in
            // On a kept-alive connection, where libcurl would re-send a request by itself.
            try warm(client)
            try emulator.injectFaults(for: client, plan: [fault], actions: ["CreateInternetGateway"])
            do {
                _ = try client.createInternetGateway(tags: [Tag("berth:test", "lost")])
                return nil
            } catch let error as AWSError {
                return error
            }
        }
        #expect(error?.classification == .outcomeUnknown)
        #expect(error?.isRetryable == true)
        #expect(error?.attempts == 1)
        #expect(error?.message.contains("may have taken effect") == true)
        // The create took effect once; nothing re-sent it (neither Berth nor libcurl).
        let gateways = try await onThread { try client.describeInternetGateways(filters: [EC2Filter("tag:berth:test", "lost")]) }
        #expect(gateways.count == 1)
        #expect(try emulator.stats(for: client).forwarded == 2) // the create and the describe (stats restart with the plan)
    }

    @Test func aServerErrorOnACreateLeavesItsOutcomeUnknown() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try emulator.injectFaults(for: client, plan: ["500"], actions: ["CreateVpc"])
        let error = await #expect(throws: AWSError.self) { try await onThread { try client.createVpc(cidrBlock: "10.9.0.0/16") } }
        #expect(error?.classification == .outcomeUnknown)
        #expect(try emulator.stats(for: client).requests == 1)
    }

    @Test func refusalsBeforeAnythingHappenedAreRetried() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        // Throttling is a refusal: the create is sent again and succeeds once.
        try emulator.injectFaults(for: client, plan: ["throttle", "throttle"], actions: ["CreateVpc"])
        let vpc = try await onThread { try client.createVpc(cidrBlock: "10.8.0.0/16") }
        #expect(!vpc.vpcId.isEmpty)
        #expect(try emulator.stats(for: client).requests == 3)
        #expect(try await onThread { try client.describeVpcs(filters: [EC2Filter("cidr", "10.8.0.0/16")]) }.count == 1)
    }

    @Test func aRefusedConnectionIsRetriedEvenForACreate() async throws {
        guard Emulator.current() != nil else { return }
        // Nothing listens there: the request never left, so sending it again is safe.
        let port = try closedPort()
        var configuration = AWSClient.Configuration()
        configuration.retry = RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxBackoff: 0.01)
        configuration.rateLimit = .unlimited
        let client = AWSClient(credentials: AWSCredentials(accessKeyId: Emulator.newAccessKeyId(), secretAccessKey: "s"),
                               region: "us-east-2", endpoints: Endpoints(global: "http://127.0.0.1:\(port)"),
                               configuration: configuration)
        let error = await #expect(throws: AWSError.self) { try await onThread { try client.createVpc(cidrBlock: "10.7.0.0/16") } }
        #expect(error?.classification == .transient)
        #expect(error?.attempts == 2)
    }

    @Test func createsWithAClientTokenAreRetriedAfterALostAnswer() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        let image = try await onThread { try #require(try client.describeImages(owners: ["amazon"]).first).imageId }
        try emulator.injectFaults(for: client, plan: ["lost"], actions: ["RunInstances"])
        // No token given: the client sends a random one, the same on both attempts.
        let instances = try await onThread { try client.runInstances(RunInstancesRequest(imageId: image, instanceType: "t3.micro")) }
        #expect(instances.count == 1)
        #expect(try await onThread { try client.describeInstances() }.count == 1)
        let stats = try emulator.stats(for: client)
        #expect(stats.faults["lost"] == 1)
        #expect(stats.requests == 3) // two launches and the describe (stats restart with the plan)
    }

    /// Why creates go on a fresh connection: when a kept-alive connection is closed without an
    /// answer, libcurl itself sends the request again on a new one, with Berth's retries off.
    @Test func libcurlResendsOnAKeptAliveConnectionClosedWithoutAnAnswer() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client(retry: .none)
        let subnets = try await onThread { () -> [Subnet] in
            try warm(client)
            try emulator.injectFaults(for: client, plan: ["lost"], actions: ["DescribeSubnets"])
            return try client.describeSubnets()
        }
        #expect(!subnets.isEmpty)
        let stats = try emulator.stats(for: client)
        #expect(stats.faults["lost"] == 1)
        #expect(stats.requests == 2)
    }

    @Test func readsAreRetriedAfterALostAnswer() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client()
        try await onThread { try warm(client) }
        try emulator.injectFaults(for: client, plan: ["lost"], actions: ["DescribeSubnets"])
        _ = try await onThread { try client.describeSubnets() }
        #expect(try emulator.stats(for: client).faults["lost"] == 1)
    }

    @Test func aRetryAfterATimeoutIsReportedAtOnce() async throws {
        guard let emulator = Emulator.current() else { return }
        let warmClient = emulator.client()
        _ = try await onThread { try warmClient.describeAvailabilityZones() } // moto's first call in an account may be slow
        let notices = Locked<[(AWSRetryNotice, Double)]>([])
        let started = Locked(Date())
        var configuration = warmClient.configuration
        // Generous for the retry: parallel tests make moto slow (RetryTests.slowAnswerTimesOutThenSucceeds;
        // 9 s was too short once with a load average of 12 on 2 cores).
        configuration.timeouts = HTTPTimeouts(connect: 2, total: 15)
        configuration.retry = RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxBackoff: 0.01)
        configuration.onRetry = { notice in notices.mutate { $0.append((notice, Date().timeIntervalSince(started.value))) } }
        let client = AWSClient(credentials: warmClient.credentials, region: warmClient.region, endpoints: warmClient.endpoints,
                               configuration: configuration)
        try emulator.injectFaults(for: client, plan: ["slow"], slowSeconds: 60, actions: ["DescribeAvailabilityZones"])
        started.mutate { $0 = Date() }
        _ = try await onThread { try client.describeAvailabilityZones() }
        let seen = notices.value
        #expect(seen.count == 1)
        #expect(seen.first?.0.error.code == "Timeout")
        #expect(seen.first?.0.attempt == 1)
        #expect(seen.first?.0.description.hasPrefix("retrying ec2:DescribeAvailabilityZones after Timeout (attempt 1 of 2)") == true)
        // Reported when the first attempt timed out, long before the slow answer would have come.
        #expect((seen.first?.1 ?? 99) < 30)
    }

    /// A local port with nothing listening (bound, then closed).
    func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(fd, $0, length) == 0, getsockname(fd, $0, &length) == 0 else { throw CocoaError(.fileReadUnknown) }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
