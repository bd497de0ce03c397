/// Who the credentials belong to.
public struct CallerIdentity: Sendable, Hashable, Codable {
    public var account: String
    public var arn: String
    public var userId: String
}

extension AWSClient {
    /// STS GetCallerIdentity: works for any valid key, needs no permission.
    public func getCallerIdentity() throws(AWSError) -> CallerIdentity {
        let result = try queryResult(.sts, action: "GetCallerIdentity")
        return CallerIdentity(account: result.string("Account") ?? "", arn: result.string("Arn") ?? "",
                              userId: result.string("UserId") ?? "")
    }
}
