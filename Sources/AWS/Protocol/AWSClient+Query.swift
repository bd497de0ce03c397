extension AWSClient {
    /// One Query-protocol call (EC2, IAM, STS). Returns the root element of the
    /// response (`<ActionResponse>`); IAM and STS wrap results in `<ActionResult>`,
    /// see ``queryResult(_:action:_:)``. A `ClientToken` parameter makes a create idempotent
    /// (``AWSIdempotency``).
    public func query(_ service: AWSService, action: String, _ parameters: QueryParameters = QueryParameters()) throws(AWSError) -> XMLElement {
        guard let version = service.queryVersion else {
            throw AWSError(service: service, operation: action, httpStatus: nil, code: "UnsupportedProtocol",
                           message: "\(service.rawValue) does not speak the Query protocol", classification: .invalidInput)
        }
        let response = try send(service, operation: action,
                                contentType: "application/x-www-form-urlencoded; charset=utf-8",
                                body: parameters.body(action: action, version: version),
                                idempotency: .of(service, action: action, clientToken: parameters.has("ClientToken")))
        return try Self.queryRoot(response, service: service, action: action)
    }

    /// The root element of a Query answer; a document the XML parser refuses (malformed, too
    /// large or deep, a DTD) is an `UnparseableResponse` that says why.
    static func queryRoot(_ response: HTTPResponse, service: AWSService, action: String) throws(AWSError) -> XMLElement {
        do {
            return try XMLDocument.parse(response.body)
        } catch {
            // Only the start of the body: an excerpt of a 30 MiB answer would cost more than it tells.
            let start = String(decoding: response.body.prefix(1024), as: UTF8.self)
            throw AWSError(service: service, operation: action, httpStatus: response.status, code: "UnparseableResponse",
                           message: "\(error); body starts: \(AWSErrorDecoder.excerpt(start))",
                           requestId: response.header("x-amzn-RequestId"), classification: .other)
        }
    }

    /// IAM/STS: the `<ActionResult>` element (an empty one for actions without a result).
    public func queryResult(_ service: AWSService, action: String, _ parameters: QueryParameters = QueryParameters()) throws(AWSError) -> XMLElement {
        let root = try query(service, action: action, parameters)
        return root["\(action)Result"] ?? XMLElement(name: "\(action)Result")
    }
}
