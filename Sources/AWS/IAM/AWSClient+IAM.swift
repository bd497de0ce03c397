/// IAM (global): roles, role policies, instance profiles, the ECS service-linked role.
extension AWSClient {
    public func createRole(name: String, assumeRolePolicyDocument: String, path: String = "/", description: String? = nil,
                           tags: [Tag] = []) throws(AWSError) -> IAMRole {
        var p = QueryParameters()
        p.set("RoleName", name)
        p.set("Path", path)
        p.set("AssumeRolePolicyDocument", assumeRolePolicyDocument)
        p.set("Description", description)
        p.iamTags(tags)
        return IAMRole(xml: try queryResult(.iam, action: "CreateRole", p)["Role"] ?? XMLElement(name: "Role"))
    }

    public func getRole(name: String) throws(AWSError) -> IAMRole {
        var p = QueryParameters()
        p.set("RoleName", name)
        return IAMRole(xml: try queryResult(.iam, action: "GetRole", p)["Role"] ?? XMLElement(name: "Role"))
    }

    /// Fails with `DeleteConflict` (dependencyViolation) while policies or profiles still hold the role.
    public func deleteRole(name: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("RoleName", name)
        _ = try queryResult(.iam, action: "DeleteRole", p)
    }

    /// Creates or replaces an inline policy.
    public func putRolePolicy(roleName: String, policyName: String, policyDocument: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("RoleName", roleName)
        p.set("PolicyName", policyName)
        p.set("PolicyDocument", policyDocument)
        _ = try queryResult(.iam, action: "PutRolePolicy", p)
    }

    public func deleteRolePolicy(roleName: String, policyName: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("RoleName", roleName)
        p.set("PolicyName", policyName)
        _ = try queryResult(.iam, action: "DeleteRolePolicy", p)
    }

    /// Inline policy names of a role, all pages.
    public func listRolePolicies(roleName: String) throws(AWSError) -> [String] {
        try iamPaginate("ListRolePolicies", ["RoleName": roleName], listName: "PolicyNames").map { $0.text.trimmingWhitespace() }
    }

    /// Attaches a managed policy (e.g. `arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`).
    public func attachRolePolicy(roleName: String, policyArn: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("RoleName", roleName)
        p.set("PolicyArn", policyArn)
        _ = try queryResult(.iam, action: "AttachRolePolicy", p)
    }

    public func detachRolePolicy(roleName: String, policyArn: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("RoleName", roleName)
        p.set("PolicyArn", policyArn)
        _ = try queryResult(.iam, action: "DetachRolePolicy", p)
    }

    /// ARNs of the managed policies attached to a role, all pages.
    public func listAttachedRolePolicies(roleName: String) throws(AWSError) -> [String] {
        try iamPaginate("ListAttachedRolePolicies", ["RoleName": roleName], listName: "AttachedPolicies")
            .compactMap { $0.string("PolicyArn") }
    }

    public func createInstanceProfile(name: String, path: String = "/", tags: [Tag] = []) throws(AWSError) -> InstanceProfile {
        var p = QueryParameters()
        p.set("InstanceProfileName", name)
        p.set("Path", path)
        p.iamTags(tags)
        let result = try queryResult(.iam, action: "CreateInstanceProfile", p)
        return InstanceProfile(xml: result["InstanceProfile"] ?? XMLElement(name: "InstanceProfile"))
    }

    public func getInstanceProfile(name: String) throws(AWSError) -> InstanceProfile {
        var p = QueryParameters()
        p.set("InstanceProfileName", name)
        let result = try queryResult(.iam, action: "GetInstanceProfile", p)
        return InstanceProfile(xml: result["InstanceProfile"] ?? XMLElement(name: "InstanceProfile"))
    }

    /// A profile holds at most one role: a second add fails with `LimitExceeded`.
    public func addRoleToInstanceProfile(profileName: String, roleName: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("InstanceProfileName", profileName)
        p.set("RoleName", roleName)
        _ = try queryResult(.iam, action: "AddRoleToInstanceProfile", p)
    }

    public func removeRoleFromInstanceProfile(profileName: String, roleName: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("InstanceProfileName", profileName)
        p.set("RoleName", roleName)
        _ = try queryResult(.iam, action: "RemoveRoleFromInstanceProfile", p)
    }

    public func deleteInstanceProfile(name: String) throws(AWSError) {
        var p = QueryParameters()
        p.set("InstanceProfileName", name)
        _ = try queryResult(.iam, action: "DeleteInstanceProfile", p)
    }

    /// E.g. `ecs.amazonaws.com` for AWSServiceRoleForECS; `InvalidInput` "has been taken" when it exists.
    public func createServiceLinkedRole(awsServiceName: String, description: String? = nil) throws(AWSError) -> IAMRole {
        var p = QueryParameters()
        p.set("AWSServiceName", awsServiceName)
        p.set("Description", description)
        return IAMRole(xml: try queryResult(.iam, action: "CreateServiceLinkedRole", p)["Role"] ?? XMLElement(name: "Role"))
    }

    /// IAM list calls page with `Marker` / `IsTruncated`.
    func iamPaginate(_ action: String, _ fixed: [String: String], listName: String) throws(AWSError) -> [XMLElement] {
        var items: [XMLElement] = []
        var marker: String?
        repeat {
            var p = QueryParameters()
            for (key, value) in fixed.sorted(by: { $0.key < $1.key }) { p.set(key, value) }
            p.set("Marker", marker)
            let result = try queryResult(.iam, action: action, p)
            items += result.items(listName)
            marker = result.string("IsTruncated") == "true" ? result.string("Marker") : nil
        } while marker != nil
        return items
    }
}
