import Testing
@testable import AWS

/// Every error shape AWS and moto send decodes to code, message and request id.
@Suite struct ErrorDecodingTests {
    func decode(_ status: Int, _ body: String, headers: [HTTPHeader] = [], service: AWSService = .ec2) -> AWSError {
        AWSErrorDecoder.decode(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)), service: service, operation: "Op")
    }

    @Test func ec2Response() {
        let error = decode(400, """
            <?xml version="1.0" encoding="UTF-8"?>
            <Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-1' does not exist</Message></Error></Errors><RequestID>req-1</RequestID></Response>
            """)
        #expect(error.code == "InvalidVpcID.NotFound")
        #expect(error.message == "The vpc ID 'vpc-1' does not exist")
        #expect(error.requestId == "req-1")
        #expect(error.classification == .notFound)
        #expect(error.httpStatus == 400)
    }

    @Test func iamErrorResponse() {
        let error = decode(409, """
            <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>EntityAlreadyExists</Code><Message>Role with name r already exists.</Message></Error><RequestId>req-2</RequestId></ErrorResponse>
            """, service: .iam)
        #expect(error.code == "EntityAlreadyExists")
        #expect(error.requestId == "req-2")
        #expect(error.classification == .alreadyExists)
    }

    @Test func jsonTypeWithAndWithoutHashPrefix() {
        let plain = decode(400, #"{"__type":"ResourceAlreadyExistsException","message":"exists"}"#,
                           headers: [HTTPHeader("x-amzn-RequestId", "req-3")], service: .logs)
        #expect(plain.code == "ResourceAlreadyExistsException")
        #expect(plain.message == "exists")
        #expect(plain.requestId == "req-3")
        #expect(plain.classification == .alreadyExists)
        let prefixed = decode(400, #"{"__type":"com.amazonaws.ecs#ClusterNotFoundException","Message":"Cluster not found."}"#, service: .ecs)
        #expect(prefixed.code == "ClusterNotFoundException")
        #expect(prefixed.message == "Cluster not found.")
        #expect(prefixed.classification == .notFound)
    }

    @Test func errorTypeHeaderOnly() {
        let error = decode(400, "", headers: [HTTPHeader("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/")], service: .ecs)
        #expect(error.code == "ThrottlingException")
        #expect(error.classification == .throttled)
    }

    @Test func xmlAuthErrorFromAJSONService() {
        let error = decode(403, """
            <?xml version="1.0" encoding="UTF-8"?>
            <ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>req-4</RequestId></ErrorResponse>
            """, service: .ecs)
        #expect(error.code == "InvalidClientTokenId")
        #expect(error.classification == .auth)
        let bare = decode(403, "<Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error>", service: .logs)
        #expect(bare.code == "SignatureDoesNotMatch")
        #expect(bare.classification == .auth)
    }

    @Test func htmlPageIsTransientWithAnExcerpt() {
        let error = decode(500, "<!doctype html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>")
        #expect(error.code == "HTTP500")
        #expect(error.classification == .transient)
        #expect(error.message.contains("Internal Server Error"))
        #expect(!error.message.contains("<"))
    }

    @Test func unknownForbiddenIsAuth() {
        #expect(decode(403, "nope").classification == .auth)
        #expect(decode(404, "nope").classification == .other)
    }
}

@Suite struct ClassificationTests {
    @Test(arguments: [
        ("Throttling", 400, AWSErrorClassification.throttled), ("ThrottlingException", 400, .throttled),
        ("RequestLimitExceeded", 503, .throttled), ("TooManyRequestsException", 429, .throttled),
        ("Whatever", 429, .throttled),
        ("InternalError", 500, .transient), ("ServiceUnavailable", 503, .transient), ("ServerException", 500, .transient),
        ("HTTP502", 502, .transient),
        ("AuthFailure", 401, .auth), ("SignatureDoesNotMatch", 403, .auth), ("InvalidClientTokenId", 403, .auth),
        ("UnrecognizedClientException", 400, .auth), ("AccessDenied", 403, .auth), ("AccessDeniedException", 400, .auth),
        ("UnauthorizedOperation", 403, .auth),
        ("InvalidVpcID.NotFound", 400, .notFound), ("InvalidGroup.NotFound", 400, .notFound), ("NoSuchEntity", 404, .notFound),
        ("ResourceNotFoundException", 400, .notFound), ("RepositoryNotFoundException", 400, .notFound),
        ("ClusterNotFoundException", 400, .notFound),
        ("EntityAlreadyExists", 409, .alreadyExists), ("InvalidGroup.Duplicate", 400, .alreadyExists),
        ("InvalidPermission.Duplicate", 400, .alreadyExists), ("RepositoryAlreadyExistsException", 400, .alreadyExists),
        ("ResourceAlreadyExistsException", 400, .alreadyExists),
        ("DependencyViolation", 400, .dependencyViolation), ("DeleteConflict", 409, .dependencyViolation),
        ("ResourceInUseException", 400, .dependencyViolation), ("ClusterContainsTasksException", 400, .dependencyViolation),
        ("InvalidParameterValue", 400, .invalidInput), ("ValidationError", 400, .invalidInput),
        ("InvalidParameterException", 400, .invalidInput), ("ClientException", 400, .invalidInput),
        ("MissingParameter", 400, .invalidInput), ("IdempotentParameterMismatch", 400, .invalidInput),
        ("VpcLimitExceeded", 400, .other), ("LimitExceeded", 409, .other),
    ])
    func classify(_ code: String, _ status: Int, _ expected: AWSErrorClassification) {
        #expect(AWSErrorClassification.classify(code: code, httpStatus: status) == expected)
    }

    @Test func onlyThrottledTransientAndOutcomeUnknownAreRetryable() {
        for classification in [AWSErrorClassification.throttled, .transient, .outcomeUnknown] { #expect(classification.isRetryable) }
        for classification in [AWSErrorClassification.auth, .notFound, .alreadyExists, .dependencyViolation, .invalidInput, .other] {
            #expect(!classification.isRetryable)
        }
    }
}
