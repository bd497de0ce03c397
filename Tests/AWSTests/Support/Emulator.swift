import AWS
import Foundation
import Testing

/// The emulator stack started by `scripts/emulator/start` (moto behind Berth's proxy).
///
/// Each test gets its own moto account (`x-moto-account-id`) and its own access key,
/// so tests run in parallel without sharing state, and faults injected for one key
/// touch no other test.
struct Emulator: Sendable {
    let endpoint: String
    let rawMoto: String?
    let authMoto: String?

    /// The emulator, or nil after recording why not (a failure in CI, a skip note locally).
    static func current(sourceLocation: SourceLocation = #_sourceLocation) -> Emulator? {
        let env = TestEnvironment.environment
        guard let endpoint = env["AWS_ENDPOINT_URL"], !endpoint.isEmpty else {
            TestEnvironment.missing("AWS_ENDPOINT_URL is not set: start the emulator with "
                + "`eval \"$(scripts/emulator/start /tmp/berth-emulator)\"`", sourceLocation: sourceLocation)
            return nil
        }
        return Emulator(endpoint: endpoint, rawMoto: env["BERTH_MOTO_URL"], authMoto: env["BERTH_MOTO_AUTH_URL"])
    }

    /// A client for a fresh account. `endpoint` defaults to the proxy.
    func client(region: String = "us-east-2", endpoint: String? = nil, retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0.02, maxBackoff: 0.1),
                timeouts: HTTPTimeouts = HTTPTimeouts(connect: 5, total: 60)) -> AWSClient {
        var configuration = AWSClient.Configuration()
        configuration.retry = retry
        configuration.rateLimit = .unlimited
        configuration.timeouts = timeouts
        configuration.extraHeaders = [HTTPHeader("x-moto-account-id", Self.newAccountId())]
        let credentials = AWSCredentials(accessKeyId: Self.newAccessKeyId(), secretAccessKey: "test-secret-\(UUID().uuidString)")
        return AWSClient(credentials: credentials, region: region, endpoints: Endpoints(global: endpoint ?? self.endpoint),
                         configuration: configuration)
    }

    static func newAccountId() -> String {
        String((0..<12).map { _ in "0123456789".randomElement()! })
    }

    static func newAccessKeyId() -> String {
        "AKIA" + String((0..<16).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".randomElement()! })
    }

    /// Sets the proxy's fault plan for one access key.
    func injectFaults(for client: AWSClient, plan: [String] = [], rates: [String: Double] = [:],
                      slowSeconds: Double = 2, actions: [String]? = nil) throws {
        var config: [String: Any] = ["key": client.credentials.accessKeyId, "plan": plan, "rates": rates,
                                     "slow_seconds": slowSeconds]
        if let actions { config["actions"] = actions }
        let body = try JSONSerialization.data(withJSONObject: config)
        let response = try HTTPClient().perform(HTTPRequest(method: "POST", url: endpoint + "/__berth/faults",
                                                            headers: [HTTPHeader("Content-Type", "application/json")],
                                                            body: Array(body)))
        #expect(response.status == 200)
    }

    struct Stats: Decodable {
        let requests: Int
        let forwarded: Int
        let faults: [String: Int]
    }

    func stats(for client: AWSClient) throws -> Stats {
        let response = try HTTPClient().perform(HTTPRequest(method: "GET",
            url: endpoint + "/__berth/stats?key=\(client.credentials.accessKeyId)"))
        return try JSONDecoder().decode(Stats.self, from: Data(response.body))
    }

    /// A moto-api call on a moto server (`/moto-api/...`).
    static func motoAPI(_ base: String, _ path: String, body: String, contentType: String = "application/json") throws -> HTTPResponse {
        try HTTPClient().perform(HTTPRequest(method: "POST", url: base + path,
                                             headers: [HTTPHeader("Content-Type", contentType)], body: Array(body.utf8)))
    }
}

/// Runs blocking work (curl, sleeps) on its own thread, as Berth's workers do,
/// instead of tying up one of the few threads of Swift's cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
