import AWS
import Testing

/// Retries for real, through the fault-injecting proxy (faults keyed by each test's own access key).
@Suite struct RetryTests {
    @Test func throttlingThenSuccessWithinTheAttempts() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client(retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.02, maxBackoff: 0.1))
        try emulator.injectFaults(for: client, plan: ["throttle", "throttle"])
        let vpcs = try await onThread { try client.describeVpcs() }
        #expect(vpcs.count == 1) // the default VPC
        let stats = try emulator.stats(for: client)
        #expect(stats.requests == 3)
        #expect(stats.forwarded == 1)
        #expect(stats.faults["throttle"] == 2)
    }

    @Test func resetsAndServerErrorsAreRetried() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client(retry: RetryPolicy(maxAttempts: 4, baseDelay: 0.02, maxBackoff: 0.1))
        try emulator.injectFaults(for: client, plan: ["reset", "500", "503"])
        let identity = try await onThread { try client.getCallerIdentity() }
        #expect(!identity.account.isEmpty)
        #expect(try emulator.stats(for: client).faults == ["reset": 1, "500": 1, "503": 1])
    }

    @Test func givesUpCleanlyBeyondTheAttempts() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client(retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.02, maxBackoff: 0.1))
        try emulator.injectFaults(for: client, plan: Array(repeating: "throttle", count: 5))
        let error = await #expect(throws: AWSError.self) { try await onThread { try client.describeVpcs() } }
        #expect(error?.classification == .throttled)
        #expect(error?.code == "RequestLimitExceeded")
        #expect(error?.attempts == 3)
        #expect(try emulator.stats(for: client).requests == 3)
    }

    @Test func jsonServiceThrottlingAndResetAreRetried() async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client(retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.02, maxBackoff: 0.1))
        try emulator.injectFaults(for: client, plan: ["throttle", "reset"])
        try await onThread { try client.createLogGroup(name: "/retry") }
        #expect(try emulator.stats(for: client).forwarded == 1)
    }

    @Test(arguments: [AWSService.ec2, .sts, .ecs])
    func throttlingIsRecognisedInEveryProtocol(_ service: AWSService) async throws {
        guard let emulator = Emulator.current() else { return }
        let client = emulator.client(retry: .none)
        try emulator.injectFaults(for: client, plan: ["throttle"])
        let error = await #expect(throws: AWSError.self) {
            try await onThread {
                switch service {
                case .ec2: _ = try client.describeVpcs()
                case .sts: _ = try client.getCallerIdentity()
                default: _ = try client.describeClusters(["x"])
                }
            }
        }
        #expect(error?.classification == .throttled)
        #expect(error?.service == service)
        #expect(error?.requestId != nil)
    }

    @Test func retryQuotaStopsRetries() async throws {
        guard let emulator = Emulator.current() else { return }
        var client = emulator.client(retry: RetryPolicy(maxAttempts: 5, baseDelay: 0.01, maxBackoff: 0.01))
        var configuration = client.configuration
        configuration.retryQuota = RetryQuota.Costs(capacity: 5, retryCost: 5, timeoutCost: 10, successRefund: 1)
        client = AWSClient(credentials: client.credentials, region: client.region, endpoints: client.endpoints,
                           configuration: configuration)
        try emulator.injectFaults(for: client, plan: ["500", "500", "500", "500"])
        let captured = client
        let error = await #expect(throws: AWSError.self) { try await onThread { try captured.getCallerIdentity() } }
        // One retry paid for by the quota, then the bucket is empty.
        #expect(error?.attempts == 2)
        #expect(error?.classification == .transient)
        #expect(client.retryQuota.available == 0)
    }

    @Test func slowAnswerTimesOutThenSucceeds() async throws {
        guard let emulator = Emulator.current() else { return }
        let warm = emulator.client()
        // The account's first call may be slow in moto itself; make it before timing anything.
        _ = try await onThread { try warm.describeAvailabilityZones() }
        // Generous timeout: parallel tests make moto slow (it creates each account's
        // backends under one global lock; an answer took over 5 s once on a loaded machine);
        // the injected delay is longer still.
        func client(attempts: Int) -> AWSClient {
            var configuration = warm.configuration
            configuration.retry = RetryPolicy(maxAttempts: attempts, baseDelay: 0.01, maxBackoff: 0.01)
            configuration.timeouts = HTTPTimeouts(connect: 2, total: 9)
            return AWSClient(credentials: warm.credentials, region: warm.region, endpoints: warm.endpoints,
                             configuration: configuration)
        }
        let retrying = client(attempts: 2)
        try emulator.injectFaults(for: retrying, plan: ["slow"], slowSeconds: 12)
        _ = try await onThread { try retrying.describeAvailabilityZones() }
        #expect(try emulator.stats(for: retrying).faults["slow"] == 1)

        let single = client(attempts: 1)
        try emulator.injectFaults(for: single, plan: ["slow"], slowSeconds: 12)
        let error = await #expect(throws: AWSError.self) { try await onThread { try single.describeAvailabilityZones() } }
        #expect(error?.code == "Timeout")
        #expect(error?.classification == .transient)
        #expect(error?.message.contains("curl error 28") == true)
    }
}
