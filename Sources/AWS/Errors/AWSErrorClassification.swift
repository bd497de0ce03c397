/// What the caller (the step engine) should do about an error.
public enum AWSErrorClassification: String, Sendable, Hashable, CustomStringConvertible {
    /// AWS asked us to slow down: retry later with backoff.
    case throttled
    /// 5xx, timeouts, resets: retry later.
    case transient
    /// Bad key, bad signature, access denied, expired token: fix credentials or policy.
    case auth
    /// The resource does not exist (a delete can treat this as done).
    case notFound
    /// The resource exists already (a create can adopt it).
    case alreadyExists
    /// Still in use by something else (ENIs draining, attached policies): wait and retry.
    case dependencyViolation
    /// The request is wrong: retrying the same request cannot help.
    case invalidInput
    /// Anything else (quota exceeded, unknown codes): not retried.
    case other
    /// A create AWS does not deduplicate failed after the request may have reached AWS (a
    /// timeout or reset after sending, a 5xx answer): it may have taken effect. The client did
    /// not re-send it. Before creating again, look (by tag) for what the first send made.
    case outcomeUnknown

    public var description: String { rawValue }

    /// Worth trying again later: throttled and transient errors, and an unknown outcome (the
    /// step, run again, looks for what the first send made before it creates).
    public var isRetryable: Bool { self == .throttled || self == .transient || self == .outcomeUnknown }

    static func classify(code: String, httpStatus: Int?) -> AWSErrorClassification {
        if throttlingCodes.contains(code) || httpStatus == 429 { return .throttled }
        if authCodes.contains(code) { return .auth }
        if dependencyCodes.contains(code) { return .dependencyViolation }
        if code.hasSuffix(".NotFound") || code.hasSuffix("NotFoundException") || notFoundCodes.contains(code) {
            return .notFound
        }
        if code.hasSuffix(".Duplicate") || code.hasSuffix("AlreadyExists") || code.hasSuffix("AlreadyExistsException")
            || alreadyExistsCodes.contains(code) { return .alreadyExists }
        if transientCodes.contains(code) { return .transient }
        if invalidInputCodes.contains(code) || code.hasPrefix("InvalidParameter") || code.hasSuffix(".Malformed")
            || code.hasPrefix("Missing") { return .invalidInput }
        if let status = httpStatus {
            if status >= 500 { return .transient }
            if status == 401 || status == 403 { return .auth }
        }
        return .other
    }

    private static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete", "EC2ThrottledException", "LimitExceededException.Throttling",
    ]
    private static let transientCodes: Set<String> = [
        "InternalError", "InternalFailure", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException",
        "RequestTimeout", "RequestTimeoutException", "ServerException", "ServiceFailure",
        "IDPCommunicationError", "Unavailable", "Timeout", "Transport",
        // Capacity: another try later may find some.
        "InsufficientInstanceCapacity", "InsufficientCapacity", "InsufficientHostCapacity",
    ]
    private static let authCodes: Set<String> = [
        "AuthFailure", "SignatureDoesNotMatch", "InvalidClientTokenId", "UnrecognizedClientException",
        "IncompleteSignature", "MissingAuthenticationToken", "InvalidAccessKeyId", "AccessDenied",
        "AccessDeniedException", "UnauthorizedOperation", "ExpiredToken", "ExpiredTokenException",
        "InvalidSignatureException", "RequestExpired", "AuthFailure.ServiceLinkedRoleCreationNotPermitted",
        "OptInRequired", "InvalidToken", "NotAuthorized",
    ]
    private static let notFoundCodes: Set<String> = [
        "NoSuchEntity", "ResourceNotFoundException", "RepositoryNotFoundException", "ClusterNotFoundException",
        "ServiceNotFoundException", "TaskSetNotFoundException", "LogGroupNotFound", "NotFound",
        "InvalidInstanceID.NotFound", "InvalidAMIID.Unavailable", "InvalidGroup.NotFound",
    ]
    private static let alreadyExistsCodes: Set<String> = [
        "EntityAlreadyExists", "ResourceAlreadyExistsException", "RepositoryAlreadyExistsException",
        "Resource.AlreadyAssociated", "InvalidPermission.Duplicate", "InvalidGroup.Duplicate",
        "RouteAlreadyExists", "InvalidKeyPair.Duplicate", "ResourceExistsException",
    ]
    private static let dependencyCodes: Set<String> = [
        "DependencyViolation", "DeleteConflict", "ResourceInUse", "ResourceInUseException",
        "ClusterContainsTasksException", "ClusterContainsServicesException",
        "ClusterContainsContainerInstancesException", "RepositoryNotEmptyException",
        "InvalidGroup.InUse", "IncorrectState", "IncorrectInstanceState", "Gateway.NotAttached.InUse",
    ]
    private static let invalidInputCodes: Set<String> = [
        "ValidationError", "ValidationException", "InvalidParameterValue", "InvalidParameterCombination",
        "InvalidParameterException", "InvalidInput", "MalformedPolicyDocument", "ClientException",
        "InvalidAction", "UnsupportedOperation", "InvalidRequest", "InvalidRequestException",
        "IdempotentParameterMismatch", "InvalidClientToken", "InvalidQueryParameter",
        "InvalidSubnet.Range", "InvalidSubnet.Conflict", "InvalidVpc.Range", "InvalidBlockDeviceMapping",
        "Unsupported", "PlatformTaskDefinitionIncompatibilityException", "UnsupportedFeatureException",
        "InvalidParameterValueException", "SerializationException", "InvalidTagException",
        "InvalidPermission.Malformed", "InvalidGroupId.Malformed", "InvalidID",
    ]
}
