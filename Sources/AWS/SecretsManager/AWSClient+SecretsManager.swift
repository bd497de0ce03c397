/// A secret as DescribeSecret answers: never its value (Berth never reads a secret back).
public struct SecretDescription: Sendable, Hashable, Decodable {
    public var arn: String
    public var name: String
    /// Set while a deleted secret waits out its recovery window.
    public var deletedDate: Double?

    enum CodingKeys: String, CodingKey {
        case arn = "ARN", name = "Name", deletedDate = "DeletedDate"
    }
}

/// A secret as ListSecrets answers: its name and tags, never its value.
public struct SecretListEntry: Sendable, Hashable, Decodable {
    public struct TagItem: Sendable, Hashable, Decodable {
        public var key: String
        public var value: String
        enum CodingKeys: String, CodingKey { case key = "Key", value = "Value" }
    }
    public var arn: String
    public var name: String
    public var tags: [TagItem]?
    public var deletedDate: Double?

    enum CodingKeys: String, CodingKey {
        case arn = "ARN", name = "Name", tags = "Tags", deletedDate = "DeletedDate"
    }

    public func tag(_ key: String) -> String? { tags?.first { $0.key == key }?.value }
}

/// Secrets Manager: the secret that carries a cluster's TLS keys to its tasks and instances.
/// Berth writes and deletes secrets; it never calls GetSecretValue (ECS and the instances do,
/// with their own roles).
extension AWSClient {
    /// CreateSecret. `clientRequestToken` (32-64 characters) makes a repeat with the same value
    /// a no-op in AWS; a secret of the same name answers `ResourceExistsException`
    /// (`alreadyExists`). The value is never in an error or log: AWS's messages do not quote it.
    public func createSecret(name: String, secretString: String, description: String,
                             clientRequestToken: String, tags: [Tag]) throws(AWSError) -> SecretDescription {
        struct TagItem: Encodable { let Key: String; let Value: String }
        struct Input: Encodable {
            let Name: String; let SecretString: String; let Description: String
            let ClientRequestToken: String; let Tags: [TagItem]?
        }
        struct Output: Decodable { let ARN: String; let Name: String }
        let out = try json(.secretsmanager, action: "CreateSecret",
                           Input(Name: name, SecretString: secretString, Description: description,
                                 ClientRequestToken: clientRequestToken,
                                 Tags: tags.isEmpty ? nil : tags.map { TagItem(Key: $0.key, Value: $0.value) }),
                           as: Output.self, idempotency: .idempotent)
        return SecretDescription(arn: out.ARN, name: out.Name, deletedDate: nil)
    }

    /// DescribeSecret by name or ARN (`notFound` when there is none).
    public func describeSecret(_ id: String) throws(AWSError) -> SecretDescription {
        struct Input: Encodable { let SecretId: String }
        return try json(.secretsmanager, action: "DescribeSecret", Input(SecretId: id), as: SecretDescription.self)
    }

    /// ListSecrets, all pages, with a `tag-key` filter (e.g. `berth:managed`): secrets pending
    /// deletion are left out, as AWS does by default.
    public func listSecrets(tagKey: String) throws(AWSError) -> [SecretListEntry] {
        struct Filter: Encodable { let Key: String; let Values: [String] }
        struct Input: Encodable { let Filters: [Filter]; let MaxResults: Int; let NextToken: String? }
        struct Output: Decodable { let SecretList: [SecretListEntry]?; let NextToken: String? }
        return try jsonPages(.secretsmanager, action: "ListSecrets",
                             { Input(Filters: [Filter(Key: "tag-key", Values: [tagKey])], MaxResults: 100, NextToken: $0) },
                             as: Output.self, items: { $0.SecretList ?? [] }, next: \.NextToken)
    }

    /// PutResourcePolicy: who besides the account's own policies may use the secret (a
    /// repeat with the same document changes nothing).
    public func putSecretResourcePolicy(_ id: String, policy: String) throws(AWSError) {
        struct Input: Encodable { let SecretId: String; let ResourcePolicy: String; let BlockPublicPolicy: Bool }
        _ = try json(.secretsmanager, action: "PutResourcePolicy", Input(SecretId: id, ResourcePolicy: policy, BlockPublicPolicy: true),
                     as: EmptyJSON.self)
    }

    /// DeleteSecret without a recovery window: the keys it held are gone at once.
    public func deleteSecret(_ id: String) throws(AWSError) {
        struct Input: Encodable { let SecretId: String; let ForceDeleteWithoutRecovery: Bool }
        _ = try json(.secretsmanager, action: "DeleteSecret", Input(SecretId: id, ForceDeleteWithoutRecovery: true), as: EmptyJSON.self)
    }
}
