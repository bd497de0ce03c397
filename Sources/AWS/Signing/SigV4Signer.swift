import Foundation

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`), header and query (presigned) forms.
///
/// Pure computation: no clock, no I/O. Callers pass the signing time, so the official
/// test suite and the botocore comparison can check results byte for byte.
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public struct Options: Sendable {
        /// Remove `.`/`..` segments and repeated slashes from the path (all services but S3).
        public var normalizePath = true
        /// Add and sign `x-amz-content-sha256` (header signing only).
        public var addContentSHA256Header = false
        /// Send the session token without signing it (what STS's legacy form needs).
        public var omitSessionTokenFromSignature = false
        public init(normalizePath: Bool = true, addContentSHA256Header: Bool = false, omitSessionTokenFromSignature: Bool = false) {
            self.normalizePath = normalizePath
            self.addContentSHA256Header = addContentSHA256Header
            self.omitSessionTokenFromSignature = omitSessionTokenFromSignature
        }
    }

    /// The result of signing, with the intermediate strings for tests and diagnostics.
    /// None of these contain the secret key.
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        /// Header form: headers to add to the request (including `Authorization`).
        public var headers: [HTTPHeader]
        /// Query form: parameters to append to the request's query.
        public var query: [QueryItem]
    }

    static let algorithm = "AWS4-HMAC-SHA256"

    /// Signs with an `Authorization` header.
    public func signHeaders(_ request: SignableRequest, date: Date, options: Options = Options()) -> Signature {
        let stamp = SigV4Time(date)
        var headers = request.headers
        var added = [HTTPHeader(name: "X-Amz-Date", stamp.dateTime)]
        let payloadHash = Digest.sha256Hex(request.body)
        if options.addContentSHA256Header { added.append(HTTPHeader("X-Amz-Content-Sha256", payloadHash)) }
        var unsignedToken: HTTPHeader?
        if let token = credentials.sessionTokenValue?.reveal {
            let header = HTTPHeader("X-Amz-Security-Token", token)
            if options.omitSessionTokenFromSignature { unsignedToken = header } else { added.append(header) }
        }
        headers += added
        let canonicalHeaders = SigV4Canonical.headers(headers)
        let canonicalRequest = [
            request.method,
            SigV4Canonical.path(request.path, normalize: options.normalizePath),
            SigV4Canonical.query(request.query),
            canonicalHeaders.block,
            canonicalHeaders.signedNames,
            payloadHash,
        ].joined(separator: "\n")
        let (stringToSign, signature) = sign(canonicalRequest: canonicalRequest, stamp: stamp)
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(scope(stamp)), "
            + "SignedHeaders=\(canonicalHeaders.signedNames), Signature=\(signature)"
        var result = added
        if let unsignedToken { result.append(unsignedToken) }
        result.append(HTTPHeader("Authorization", authorization))
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, headers: result, query: [])
    }

    /// Presigns: the signature and its parameters travel in the query string.
    public func presign(_ request: SignableRequest, date: Date, expires: Int, options: Options = Options()) -> Signature {
        let stamp = SigV4Time(date)
        let canonicalHeaders = SigV4Canonical.headers(request.headers)
        var auth = [
            QueryItem("X-Amz-Algorithm", Self.algorithm),
            QueryItem("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope(stamp))"),
            QueryItem("X-Amz-Date", stamp.dateTime),
            QueryItem("X-Amz-SignedHeaders", canonicalHeaders.signedNames),
            QueryItem("X-Amz-Expires", String(expires)),
        ]
        var unsignedToken: QueryItem?
        if let token = credentials.sessionTokenValue?.reveal {
            let item = QueryItem("X-Amz-Security-Token", token)
            if options.omitSessionTokenFromSignature { unsignedToken = item } else { auth.append(item) }
        }
        let canonicalRequest = [
            request.method,
            SigV4Canonical.path(request.path, normalize: options.normalizePath),
            SigV4Canonical.query(request.query + auth),
            canonicalHeaders.block,
            canonicalHeaders.signedNames,
            Digest.sha256Hex(request.body),
        ].joined(separator: "\n")
        let (stringToSign, signature) = sign(canonicalRequest: canonicalRequest, stamp: stamp)
        if let unsignedToken { auth.append(unsignedToken) }
        auth.append(QueryItem("X-Amz-Signature", signature))
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, headers: [], query: auth)
    }

    private func scope(_ stamp: SigV4Time) -> String {
        "\(stamp.date)/\(region)/\(service)/aws4_request"
    }

    private func sign(canonicalRequest: String, stamp: SigV4Time) -> (stringToSign: String, signature: String) {
        let stringToSign = [
            Self.algorithm, stamp.dateTime, scope(stamp), Digest.sha256Hex(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")
        var key = Digest.hmacSHA256(key: Array("AWS4\(credentials.secretAccessKey.reveal)".utf8), data: Array(stamp.date.utf8))
        for part in [region, service, "aws4_request"] {
            key = Digest.hmacSHA256(key: key, data: Array(part.utf8))
        }
        let signature = Digest.hex(Digest.hmacSHA256(key: key, data: Array(stringToSign.utf8)))
        return (stringToSign, signature)
    }
}

private extension HTTPHeader {
    init(name: String, _ value: String) { self.init(name, value) }
}
