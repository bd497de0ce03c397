import CCurl
import Foundation

/// Blocking HTTP over one libcurl easy handle.
///
/// Not thread-safe and deliberately not `Sendable`: each worker thread owns one
/// (see ``HTTPClient/forCurrentThread()``), so the handle's connection cache gives
/// keep-alive without locking. The handle is freed in `deinit`.
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer
    private var body = berth_buffer()
    private var headerBytes = berth_buffer()
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Responses larger than this are refused (AWS API answers are small).
    public var maximumResponseBytes = 64 << 20

    public init() {
        _ = curlGlobalInit
        guard let handle = curl_easy_init() else {
            // curl_easy_init only fails when out of memory.
            fatalError("curl_easy_init failed")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        berth_buffer_free(&body)
        berth_buffer_free(&headerBytes)
        errorBuffer.deallocate()
    }

    /// Sends the request and waits for the whole response.
    public func perform(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        // reset clears options but keeps live connections, so keep-alive survives.
        curl_easy_reset(handle)
        berth_buffer_reset(&body)
        berth_buffer_reset(&headerBytes)
        body.limit = maximumResponseBytes
        headerBytes.limit = 1 << 20
        errorBuffer[0] = 0

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // libcurl would add `Expect: 100-continue` to larger bodies and wait for it;
        // AWS APIs do not need it, so an empty value removes it.
        headerList = curl_slist_append(headerList, "Expect:")

        var rc = configure(request, headers: headerList)
        if rc == CURLE_OK { rc = berth_curl_collect(handle, &body, &headerBytes) }
        if rc == CURLE_OK { rc = curl_easy_perform(handle) }
        guard rc == CURLE_OK else { throw transportError(rc, url: request.url) }

        var status = 0
        _ = berth_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let bytes = body.length > 0 ? Array(UnsafeRawBufferPointer(start: body.data, count: body.length)) : []
        return HTTPResponse(status: status, headers: parseHeaders(), body: bytes)
    }

    private func configure(_ request: HTTPRequest, headers: UnsafeMutablePointer<curl_slist>?) -> CURLcode {
        let longs: [(CURLoption, Int)] = [
            (CURLOPT_NOSIGNAL, 1), // timeouts without SIGALRM: required with threads
            (CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeouts.connect * 1000)),
            (CURLOPT_TIMEOUT_MS, Int(request.timeouts.total * 1000)),
            (CURLOPT_SSL_VERIFYPEER, 1),
            (CURLOPT_SSL_VERIFYHOST, 2),
            (CURLOPT_TCP_KEEPALIVE, 1),
            (CURLOPT_FOLLOWLOCATION, 0),
            (CURLOPT_FRESH_CONNECT, request.freshConnection ? 1 : 0),
        ]
        for (option, value) in longs {
            let rc = berth_curl_setopt_long(handle, option, value)
            guard rc == CURLE_OK else { return rc }
        }
        var rc = berth_curl_setopt_error_buffer(handle, errorBuffer)
        if rc == CURLE_OK { rc = berth_curl_setopt_string(handle, CURLOPT_URL, request.url) }
        if rc == CURLE_OK { rc = berth_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers) }
        guard rc == CURLE_OK else { return rc }
        switch request.method {
        case "GET" where request.body.isEmpty:
            return berth_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        default:
            rc = berth_curl_setopt_long(handle, CURLOPT_POST, 1)
            if rc == CURLE_OK { rc = berth_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, request.body.count) }
            // COPYPOSTFIELDS copies, so the Swift array need not outlive this call.
            if rc == CURLE_OK, request.body.isEmpty {
                rc = berth_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
            } else if rc == CURLE_OK {
                rc = request.body.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                        berth_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, $0)
                    }
                }
            }
            if rc == CURLE_OK, request.method != "POST" {
                rc = berth_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            }
            return rc
        }
    }

    private func transportError(_ code: CURLcode, url: String) -> HTTPTransportError {
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        // The bytes of request headers libcurl sent: 0 when it never got to send.
        var sent = 0
        _ = berth_curl_getinfo_long(handle, CURLINFO_REQUEST_SIZE, &sent)
        return HTTPTransportError(code: code, message: message, url: url, requestSent: sent > 0)
    }

    /// Headers of the final response (an interim `100 Continue` block is dropped).
    private func parseHeaders() -> [HTTPHeader] {
        guard headerBytes.length > 0 else { return [] }
        let text = String(decoding: UnsafeRawBufferPointer(start: headerBytes.data, count: headerBytes.length), as: UTF8.self)
        var headers: [HTTPHeader] = []
        for line in text.split(separator: "\r\n") {
            if line.hasPrefix("HTTP/") { headers.removeAll(); continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(HTTPHeader(String(line[..<colon]),
                                      line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return headers
    }
}

/// curl_global_init is not thread-safe; a global `let` runs it exactly once, lazily.
private let curlGlobalInit: Void = {
    curl_global_init(Int(CURL_GLOBAL_ALL))
}()
