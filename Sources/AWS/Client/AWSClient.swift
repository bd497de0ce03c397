import Foundation
import Logging

/// Berth's AWS client: one account, one region, all six services.
///
/// A value type and `Sendable`; copies share the per-(key, region) rate limiter and
/// retry quota. Calls are synchronous and block the calling thread: they are meant
/// for dedicated worker threads, never Swift's cooperative pool. Each thread uses
/// its own libcurl handle (``HTTPClient/forCurrentThread()``).
public struct AWSClient: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public var endpoints: Endpoints
    public var configuration: Configuration
    public var logger: Logger
    let limits: SharedLimits

    public struct Configuration: Sendable {
        public var retry = RetryPolicy()
        public var rateLimit = RateLimiter.Rate()
        public var retryQuota = RetryQuota.Costs()
        public var timeouts = HTTPTimeouts()
        /// Sent and signed with every request (tests use `x-moto-account-id`).
        public var extraHeaders: [HTTPHeader] = []
        public var userAgent = "berth-aws/1"
        /// The signing clock; tests may pin it.
        public var clock: @Sendable () -> Date = { Date() }
        /// Told about each in-call retry before the client waits for it (the step engine writes
        /// a `retry` event). Runs on the calling thread; keep it short.
        public var onRetry: (@Sendable (AWSRetryNotice) -> Void)?
        public init() {}
    }

    public init(credentials: AWSCredentials, region: String, endpoints: Endpoints = .fromEnvironment(),
                configuration: Configuration = Configuration(), logger: Logger = Logger(label: "berth.aws")) {
        self.credentials = credentials
        self.region = region
        self.endpoints = endpoints
        self.configuration = configuration
        self.logger = logger
        limits = SharedLimits.shared(accessKeyId: credentials.accessKeyId, region: region,
                                     rate: configuration.rateLimit, quota: configuration.retryQuota)
    }

    /// The client the environment describes: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`, `AWS_REGION` (else `AWS_DEFAULT_REGION`, else `defaultRegion`),
    /// `AWS_ENDPOINT_URL[_<SERVICE>]`. Nil when the key id or secret is missing.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       defaultRegion: String = "us-east-2",
                                       configuration: Configuration = Configuration()) -> AWSClient? {
        guard let credentials = AWSCredentials.fromEnvironment(environment) else { return nil }
        let region = [environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]]
            .compactMap { $0 }.first { !$0.isEmpty } ?? defaultRegion
        return AWSClient(credentials: credentials, region: region, endpoints: .fromEnvironment(environment),
                         configuration: configuration)
    }

    /// The same account in another region (shares nothing region-specific).
    public func inRegion(_ region: String) -> AWSClient {
        AWSClient(credentials: credentials, region: region, endpoints: endpoints, configuration: configuration, logger: logger)
    }

    /// The retry quota this client draws on (shared per key and region).
    public var retryQuota: RetryQuota { limits.quota }
}
