/// EC2 security groups, their rules, and tags.
extension AWSClient {
    /// Returns the new group's id.
    public func createSecurityGroup(name: String, description: String, vpcId: String, tags: [Tag] = []) throws(AWSError) -> String {
        var p = QueryParameters()
        p.set("GroupName", name)
        p.set("GroupDescription", description)
        p.set("VpcId", vpcId)
        p.tagSpecifications(["security-group"], tags)
        return try query(.ec2, action: "CreateSecurityGroup", p).string("groupId") ?? ""
    }

    public func describeSecurityGroups(ids: [String] = [], filters: [EC2Filter] = [], pageSize: Int? = nil) throws(AWSError) -> [SecurityGroup] {
        var p = QueryParameters()
        p.list("GroupId", ids)
        p.filters(filters)
        return try ec2Paginate("DescribeSecurityGroups", p, listName: "securityGroupInfo", pageSize: pageSize)
            .map(SecurityGroup.init(xml:))
    }

    public func deleteSecurityGroup(id: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("GroupId", id)
        _ = try query(.ec2, action: "DeleteSecurityGroup", p)
    }

    /// Adds inbound rules. A rule that exists already fails with `InvalidPermission.Duplicate`
    /// (classified `alreadyExists`).
    public func authorizeSecurityGroupIngress(groupId: String, permissions: [IpPermission]) throws(AWSError) {
        try changeRules("AuthorizeSecurityGroupIngress", groupId: groupId, permissions: permissions)
    }

    public func revokeSecurityGroupIngress(groupId: String, permissions: [IpPermission]) throws(AWSError) {
        try changeRules("RevokeSecurityGroupIngress", groupId: groupId, permissions: permissions)
    }

    public func authorizeSecurityGroupEgress(groupId: String, permissions: [IpPermission]) throws(AWSError) {
        try changeRules("AuthorizeSecurityGroupEgress", groupId: groupId, permissions: permissions)
    }

    private func changeRules(_ action: String, groupId: String, permissions: [IpPermission]) throws(AWSError) {
        var p = QueryParameters()
        p.set("GroupId", groupId)
        for (i, permission) in permissions.enumerated() { permission.encode(into: &p, prefix: "IpPermissions.\(i + 1)") }
        _ = try query(.ec2, action: action, p)
    }

    /// Tags existing resources (any EC2 resource ids).
    public func createTags(resourceIds: [String], tags: [Tag]) throws(AWSError) {
        var p = QueryParameters()
        p.list("ResourceId", resourceIds)
        for (i, tag) in tags.enumerated() {
            p.set("Tag.\(i + 1).Key", tag.key)
            p.set("Tag.\(i + 1).Value", tag.value)
        }
        _ = try query(.ec2, action: "CreateTags", p)
    }
}
