import Foundation

/// Turns an error response into an ``AWSError``, whatever shape it came in:
/// - EC2 Query: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`
/// - IAM/STS Query: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`
/// - JSON 1.1: `{"__type": "[namespace#]Code", "message"|"Message": …}`, or only the
///   `x-amzn-ErrorType` header
/// - XML auth errors from JSON services (moto, and AWS's front door)
/// - anything else (an HTML 500 page): `HTTP<status>` with a short excerpt of the body.
enum AWSErrorDecoder {
    static func decode(_ response: HTTPResponse, service: AWSService, operation: String) -> AWSError {
        var code: String?
        var message: String?
        var requestId = response.header("x-amzn-RequestId") ?? response.header("x-amz-request-id")
            ?? response.header("x-amzn-request-id")

        let trimmed = response.bodyText.trimmingWhitespace()
        if trimmed.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] {
            code = (object["__type"] as? String) ?? (object["code"] as? String) ?? (object["Code"] as? String)
            message = (object["message"] as? String) ?? (object["Message"] as? String) ?? (object["errorMessage"] as? String)
        } else if trimmed.hasPrefix("<"), let root = try? XMLDocument.parse(trimmed),
                  let error = root.first(named: "Error") ?? (root["Code"] != nil ? root : nil) {
            code = error.string("Code")
            message = error.string("Message") ?? error.string("message")
            requestId = root.string("RequestID") ?? root.string("RequestId") ?? error.string("RequestId") ?? requestId
        }
        if code == nil || code?.isEmpty == true, let header = response.header("x-amzn-ErrorType") {
            // "Code:http://internal.amazon.com/coral/…" → "Code"
            code = String(header.prefix { $0 != ":" })
        }
        let finalCode = code.map(normalize) ?? "HTTP\(response.status)"
        let finalMessage = message ?? (code == nil ? excerpt(trimmed) : "")
        return AWSError(service: service, operation: operation, httpStatus: response.status,
                        code: finalCode, message: finalMessage, requestId: requestId)
    }

    /// `aws.protocoltests#ThrottlingException` or `com.amazon…#Code` → the part after `#`;
    /// some services also append `:` and a URL.
    static func normalize(_ code: String) -> String {
        var result = Substring(code)
        if let hash = result.lastIndex(of: "#") { result = result[result.index(after: hash)...] }
        if let colon = result.firstIndex(of: ":") { result = result[..<colon] }
        return String(result).trimmingWhitespace()
    }

    /// A short, tag-free excerpt of an unexpected body (an HTML error page).
    static func excerpt(_ body: String) -> String {
        var text = ""
        var inTag = false
        for character in body {
            if character == "<" { inTag = true; text.append(" "); continue }
            if character == ">" { inTag = false; continue }
            if !inTag { text.append(character) }
        }
        let collapsed = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return collapsed.count > 200 ? String(collapsed.prefix(200)) + "…" : collapsed
    }
}
