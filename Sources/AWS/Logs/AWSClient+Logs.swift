public struct LogGroup: Sendable, Hashable, Codable {
    public var logGroupName: String
    public var arn: String?
    public var retentionInDays: Int?
}

/// CloudWatch Logs: the per-(tenant, region) log group and its retention.
extension AWSClient {
    public func createLogGroup(name: String, tags: [Tag] = []) throws(AWSError) {
        struct Input: Encodable { let logGroupName: String; let tags: [String: String]? }
        let tagMap = tags.isEmpty ? nil : Dictionary(tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        _ = try json(.logs, action: "CreateLogGroup", Input(logGroupName: name, tags: tagMap), as: EmptyJSON.self)
    }

    public func putRetentionPolicy(logGroupName: String, days: Int) throws(AWSError) {
        struct Input: Encodable { let logGroupName: String; let retentionInDays: Int }
        _ = try json(.logs, action: "PutRetentionPolicy", Input(logGroupName: logGroupName, retentionInDays: days), as: EmptyJSON.self)
    }

    /// Groups whose name starts with `prefix`, all pages.
    public func describeLogGroups(prefix: String, pageSize: Int? = nil) throws(AWSError) -> [LogGroup] {
        struct Input: Encodable { let logGroupNamePrefix: String; let limit: Int?; let nextToken: String? }
        struct Output: Decodable { let logGroups: [LogGroup]?; let nextToken: String? }
        var groups: [LogGroup] = []
        var token: String?
        repeat {
            let out = try json(.logs, action: "DescribeLogGroups",
                               Input(logGroupNamePrefix: prefix, limit: pageSize, nextToken: token), as: Output.self)
            groups += out.logGroups ?? []
            token = out.nextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return groups
    }

    public func deleteLogGroup(name: String) throws(AWSError) {
        struct Input: Encodable { let logGroupName: String }
        _ = try json(.logs, action: "DeleteLogGroup", Input(logGroupName: name), as: EmptyJSON.self)
    }
}
