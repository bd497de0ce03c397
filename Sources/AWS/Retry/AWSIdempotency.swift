import Foundation

/// Whether sending a request twice can make two of something: decides whether the client may
/// re-send it after a failure that leaves the outcome unknown (a timeout or a reset after the
/// request went out, a 5xx answer).
public enum AWSIdempotency: Sendable, Hashable {
    /// A repeat changes nothing or is refused: reads, deletes, modifications, creates AWS
    /// deduplicates by name (a repeat answers `…AlreadyExists` / `.Duplicate`), and creates
    /// that carry a client token.
    case idempotent
    /// A repeat may make a second resource (CreateVpc, CreateInternetGateway, RunInstances
    /// without a ClientToken, RegisterTaskDefinition, …). After an ambiguous failure the client
    /// does not re-send it; the error is ``AWSErrorClassification/outcomeUnknown``.
    case nonIdempotent

    /// What an action is. Creating actions (by their verb) are non-idempotent unless they carry
    /// a client token or AWS refuses a second resource of the same name; anything else is
    /// idempotent. Deny by default: a creating action nobody listed is treated as unsafe.
    public static func of(_ service: AWSService, action: String, clientToken: Bool) -> AWSIdempotency {
        if clientToken { return .idempotent }
        guard creatingVerbs.contains(where: { action.hasPrefix($0) }) else { return .idempotent }
        return deduplicated[service, default: []].contains(action) ? .idempotent : .nonIdempotent
    }

    private static let creatingVerbs = ["Create", "Run", "Register", "Allocate", "Request", "Copy", "Start", "Import", "Purchase"]

    /// Creates whose repeat AWS refuses (unique names) or answers with the same resource.
    private static let deduplicated: [AWSService: Set<String>] = [
        // Security group names are unique per VPC; a route per destination; tags overwrite.
        .ec2: ["CreateSecurityGroup", "CreateRoute", "CreateTags", "CreateKeyPair", "CreateLaunchTemplate",
               "CreatePlacementGroup", "CreateDefaultVpc"],
        // Cluster names are unique (a repeat returns the cluster); services unique per cluster.
        .ecs: ["CreateCluster", "CreateService", "CreateCapacityProvider"],
        // IAM names are unique per account.
        .iam: ["CreateRole", "CreateInstanceProfile", "CreateServiceLinkedRole", "CreateUser", "CreateGroup",
               "CreatePolicy", "CreateLoginProfile", "CreateOpenIDConnectProvider"],
        .ecr: ["CreateRepository"],
        .logs: ["CreateLogGroup", "CreateLogStream"],
        .sts: [],
        // Secret names are unique per account and region (ResourceExistsException).
        .secretsmanager: ["CreateSecret"],
    ]
}

extension AWSClient {
    /// A client token for a create whose caller gave none: unique per call, so retries of
    /// this one call are deduplicated (what the AWS SDKs do for `idempotencyToken` members).
    static func randomClientToken() -> String { UUID().uuidString.lowercased() }
}
