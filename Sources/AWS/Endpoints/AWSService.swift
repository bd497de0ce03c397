/// The AWS services Berth calls, with what signing and routing need to know.
public enum AWSService: String, Sendable, CaseIterable, Hashable {
    case ec2, ecs, iam, ecr, logs, sts, secretsmanager

    /// The SigV4 signing name (the credential scope's service).
    public var signingName: String {
        switch self {
        case .ecr: "ecr"
        default: rawValue
        }
    }

    /// The service id used in `AWS_ENDPOINT_URL_<SERVICE>` (spaces become underscores).
    public var environmentSuffix: String {
        switch self {
        case .ec2: "EC2"
        case .ecs: "ECS"
        case .iam: "IAM"
        case .ecr: "ECR"
        case .logs: "CLOUDWATCH_LOGS"
        case .sts: "STS"
        case .secretsmanager: "SECRETS_MANAGER"
        }
    }

    /// IAM has one global endpoint, signed for us-east-1 (in the `aws` partition).
    public var isGlobal: Bool { self == .iam }

    /// The default public endpoint for a region.
    public func defaultEndpoint(region: String) -> String {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        switch self {
        case .iam: return region.hasPrefix("cn-") ? "https://iam.cn-north-1.\(suffix)" : "https://iam.amazonaws.com"
        case .ecr: return "https://api.ecr.\(region).\(suffix)"
        default: return "https://\(rawValue).\(region).\(suffix)"
        }
    }

    /// The region that goes into the credential scope.
    public func signingRegion(for region: String) -> String {
        guard isGlobal else { return region }
        return region.hasPrefix("cn-") ? "cn-north-1" : "us-east-1"
    }

    /// Query API version (EC2, IAM, STS).
    var queryVersion: String? {
        switch self {
        case .ec2: "2016-11-15"
        case .iam: "2010-05-08"
        case .sts: "2011-06-15"
        default: nil
        }
    }

    /// The `X-Amz-Target` prefix of JSON 1.1 services.
    var jsonTargetPrefix: String? {
        switch self {
        case .ecs: "AmazonEC2ContainerServiceV20141113"
        case .ecr: "AmazonEC2ContainerRegistry_V20150921"
        case .logs: "Logs_20140328"
        case .secretsmanager: "secretsmanager"
        default: nil
        }
    }
}
