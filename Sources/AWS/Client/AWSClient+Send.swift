import Foundation
import Logging

extension AWSClient {
    /// Signs and sends one API call, retrying throttling and transient failures
    /// within ``RetryPolicy`` and the retry quota. Returns a 2xx response or throws
    /// the last error, classified.
    ///
    /// A `nonIdempotent` call goes out on a fresh connection (so libcurl never re-sends it by
    /// itself) and is never re-sent after a failure that leaves its outcome unknown: that
    /// failure is thrown at once as ``AWSErrorClassification/outcomeUnknown``. Each retry is
    /// logged at info (throttling at debug) and reported to ``Configuration/onRetry`` before
    /// the client waits.
    func send(_ service: AWSService, operation: String, contentType: String,
              headers extra: [HTTPHeader] = [], body: [UInt8], idempotency: AWSIdempotency) throws(AWSError) -> HTTPResponse {
        let client = HTTPClient.forCurrentThread()
        let callStarted = ProcessInfo.processInfo.systemUptime
        var spent = 0
        var attempt = 0
        while true {
            attempt += 1
            AWSMetrics.limiterWaited(limits.limiter.acquire())
            // Signed anew on each attempt: the signature covers the time.
            var request = try signedRequest(service, operation: operation, contentType: contentType, headers: extra,
                                            body: body, date: configuration.clock())
            request.freshConnection = idempotency == .nonIdempotent
            let started = ProcessInfo.processInfo.systemUptime
            var failure: AWSError
            let ambiguous: Bool
            do {
                let response = try client.perform(request)
                if (200..<300).contains(response.status) {
                    limits.quota.release(spent: spent)
                    AWSMetrics.attempt(service, operation, seconds: ProcessInfo.processInfo.systemUptime - started, failure: nil, retried: false)
                    logger.trace("aws call", metadata: metadata(service, operation, attempt, started, status: response.status))
                    return response
                }
                failure = AWSErrorDecoder.decode(response, service: service, operation: operation)
                ambiguous = AWSError.outcomeUnknown(httpStatus: response.status, classification: failure.classification)
            } catch {
                failure = AWSError(transport: error, service: service, operation: operation)
                ambiguous = error.requestSent
            }
            failure.attempts = attempt
            var meta = metadata(service, operation, attempt, started, status: failure.httpStatus)
            meta["code"] = .string(failure.code)
            let seconds = ProcessInfo.processInfo.systemUptime - started
            if idempotency == .nonIdempotent, ambiguous {
                failure.markOutcomeUnknown()
                AWSMetrics.attempt(service, operation, seconds: seconds, failure: failure, retried: false)
                logger.info("aws create failed with its outcome unknown; not re-sent", metadata: meta)
                throw failure
            }
            let elapsed = ProcessInfo.processInfo.systemUptime - callStarted
            guard failure.isRetryable, attempt < configuration.retry.maxAttempts, elapsed < configuration.retry.maxElapsed,
                  let cost = limits.quota.acquire(timeout: failure.code == "Timeout") else {
                if failure.isRetryable && attempt < configuration.retry.maxAttempts && elapsed < configuration.retry.maxElapsed {
                    AWSMetrics.quotaExhausted(service)
                }
                AWSMetrics.attempt(service, operation, seconds: seconds, failure: failure, retried: false)
                // A timeout or a dropped connection is news (AWS unreachable); an AWS error answer
                // is the caller's to report.
                logger.log(level: failure.httpStatus == nil ? .info : .debug, "aws call failed", metadata: meta)
                throw failure
            }
            AWSMetrics.attempt(service, operation, seconds: seconds, failure: failure, retried: true)
            spent += cost
            let delay = configuration.retry.delay(beforeRetry: attempt)
            meta["retry_in_ms"] = .stringConvertible(Int(delay * 1000))
            // Throttling is routine under load; a timeout, a reset or a 5xx is worth seeing.
            logger.log(level: failure.classification == .throttled ? .debug : .info, "aws call will be retried", metadata: meta)
            configuration.onRetry?(AWSRetryNotice(service: service, operation: operation, region: region, attempt: attempt,
                                                  maxAttempts: configuration.retry.maxAttempts, error: failure, delay: delay))
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        }
    }

    /// The exact request `send` puts on the wire for one attempt (tests compare it with botocore's).
    func signedRequest(_ service: AWSService, operation: String, contentType: String, headers extra: [HTTPHeader],
                       body: [UInt8], date: Date) throws(AWSError) -> HTTPRequest {
        let base = endpoints.url(for: service, region: region)
        guard let endpoint = EndpointURL(base) else {
            throw AWSError(service: service, operation: operation, httpStatus: nil, code: "InvalidEndpoint",
                           message: "endpoint \(base) is not an http(s) URL", classification: .invalidInput)
        }
        let signer = SigV4Signer(credentials: credentials, region: service.signingRegion(for: region),
                                 service: service.signingName)
        // Exactly these headers are signed. User-Agent is not (proxies rewrite it), nor is
        // Expect (moto rejects a signed one; curl's is suppressed anyway).
        let headers = [HTTPHeader("Host", endpoint.hostHeader), HTTPHeader("Content-Type", contentType)]
            + extra + configuration.extraHeaders
        let signature = signer.signHeaders(SignableRequest(method: "POST", headers: headers, body: body), date: date)
        return HTTPRequest(method: "POST", url: endpoint.base + "/",
                           headers: headers + signature.headers + [HTTPHeader("User-Agent", configuration.userAgent)],
                           body: body, timeouts: configuration.timeouts)
    }

    private func metadata(_ service: AWSService, _ operation: String, _ attempt: Int, _ started: TimeInterval,
                          status: Int?) -> Logger.Metadata {
        var meta: Logger.Metadata = [
            "service": .string(service.rawValue), "operation": .string(operation), "region": .string(region),
            "attempt": .stringConvertible(attempt),
            "ms": .stringConvertible(Int((ProcessInfo.processInfo.systemUptime - started) * 1000)),
        ]
        if let status { meta["status"] = .stringConvertible(status) }
        return meta
    }
}
