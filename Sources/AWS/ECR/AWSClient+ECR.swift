public struct ECRRepository: Sendable, Hashable, Codable {
    public var repositoryName: String
    public var repositoryArn: String
    public var repositoryUri: String
    public var registryId: String
}

/// ECR: the per-tenant image repositories.
extension AWSClient {
    public func createRepository(name: String, tags: [Tag] = [], scanOnPush: Bool = true) throws(AWSError) -> ECRRepository {
        struct ECRTag: Encodable { let Key: String; let Value: String }
        struct Scan: Encodable { let scanOnPush: Bool }
        struct Input: Encodable {
            let repositoryName: String
            let tags: [ECRTag]?
            let imageScanningConfiguration: Scan
        }
        struct Output: Decodable { let repository: ECRRepository }
        return try json(.ecr, action: "CreateRepository",
                        Input(repositoryName: name, tags: tags.isEmpty ? nil : tags.map { ECRTag(Key: $0.key, Value: $0.value) },
                              imageScanningConfiguration: Scan(scanOnPush: scanOnPush)),
                        as: Output.self).repository
    }

    /// By name; an unknown name fails with `RepositoryNotFoundException` (notFound).
    public func describeRepositories(names: [String]) throws(AWSError) -> [ECRRepository] {
        struct Input: Encodable { let repositoryNames: [String] }
        struct Output: Decodable { let repositories: [ECRRepository]? }
        return try json(.ecr, action: "DescribeRepositories", Input(repositoryNames: names), as: Output.self).repositories ?? []
    }

    /// `force` deletes the images too; without it a non-empty repository is a dependencyViolation.
    public func deleteRepository(name: String, force: Bool = false) throws(AWSError) {
        struct Input: Encodable { let repositoryName: String; let force: Bool }
        _ = try json(.ecr, action: "DeleteRepository", Input(repositoryName: name, force: force), as: EmptyJSON.self)
    }
}
