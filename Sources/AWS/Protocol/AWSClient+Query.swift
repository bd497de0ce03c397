extension AWSClient {
    /// One Query-protocol call (EC2, IAM, STS). Returns the root element of the
    /// response (`<ActionResponse>`); IAM and STS wrap results in `<ActionResult>`,
    /// see ``queryResult(_:action:_:)``.
    public func query(_ service: AWSService, action: String, _ parameters: QueryParameters = QueryParameters()) throws(AWSError) -> XMLElement {
        guard let version = service.queryVersion else {
            throw AWSError(service: service, operation: action, httpStatus: nil, code: "UnsupportedProtocol",
                           message: "\(service.rawValue) does not speak the Query protocol", classification: .invalidInput)
        }
        let response = try send(service, operation: action,
                                contentType: "application/x-www-form-urlencoded; charset=utf-8",
                                body: parameters.body(action: action, version: version))
        do {
            return try XMLDocument.parse(response.body)
        } catch {
            throw AWSError(service: service, operation: action, httpStatus: response.status, code: "UnparseableResponse",
                           message: "\(error); body starts: \(AWSErrorDecoder.excerpt(response.bodyText))",
                           requestId: response.header("x-amzn-RequestId"), classification: .other)
        }
    }

    /// IAM/STS: the `<ActionResult>` element (an empty one for actions without a result).
    public func queryResult(_ service: AWSService, action: String, _ parameters: QueryParameters = QueryParameters()) throws(AWSError) -> XMLElement {
        let root = try query(service, action: action, parameters)
        return root["\(action)Result"] ?? XMLElement(name: "\(action)Result")
    }
}
