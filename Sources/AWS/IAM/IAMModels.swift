public struct IAMRole: Sendable, Hashable {
    public var roleName: String
    public var roleId: String
    public var arn: String
    public var path: String
    public var tags: [Tag]

    init(xml: XMLElement) {
        roleName = xml.string("RoleName") ?? ""
        roleId = xml.string("RoleId") ?? ""
        arn = xml.string("Arn") ?? ""
        path = xml.string("Path") ?? "/"
        tags = xml.items("Tags").map { Tag($0.string("Key") ?? "", $0.string("Value") ?? "") }
    }
}

public struct InstanceProfile: Sendable, Hashable {
    public var name: String
    public var instanceProfileId: String
    public var arn: String
    public var roles: [IAMRole]

    init(xml: XMLElement) {
        name = xml.string("InstanceProfileName") ?? ""
        instanceProfileId = xml.string("InstanceProfileId") ?? ""
        arn = xml.string("Arn") ?? ""
        roles = xml.items("Roles").map(IAMRole.init(xml:))
    }
}

extension QueryParameters {
    /// IAM's `Tags.member.N.Key` / `.Value`.
    mutating func iamTags(_ tags: [Tag]) {
        for (i, tag) in tags.enumerated() {
            set("Tags.member.\(i + 1).Key", tag.key)
            set("Tags.member.\(i + 1).Value", tag.value)
        }
    }
}
