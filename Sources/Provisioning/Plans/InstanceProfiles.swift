import AWS

/// The instance profiles Berth makes (the tenant's, a cluster's workers'): made once, or
/// adopted when an earlier attempt made it, with its one role; removed, role first.
enum InstanceProfiles {
    /// Creates the profile (tagged), or adopts it by name, and puts the role in it.
    static func ensure(_ ctx: StepContext, name: String, roleName: String) throws -> InstanceProfile {
        let profile = try tolerate([.alreadyExists]) { try ctx.aws.createInstanceProfile(name: name, tags: ctx.tags.tags(name: name)) }
            ?? ctx.aws.getInstanceProfile(name: name)
        if !profile.roles.contains(where: { $0.roleName == roleName }) {
            // LimitExceeded: it holds a role already (a concurrent attempt added it).
            try tolerate([], codes: ["LimitExceeded"]) {
                try ctx.aws.addRoleToInstanceProfile(profileName: name, roleName: roleName)
            }
        }
        return profile
    }

    /// Takes the roles out and deletes the profile; a profile that is gone counts as deleted.
    static func remove(_ aws: AWSClient, name: String) throws {
        guard let profile = try tolerate([.notFound], { try aws.getInstanceProfile(name: name) }) else { return }
        for role in profile.roles {
            _ = try tolerate([.notFound]) { try aws.removeRoleFromInstanceProfile(profileName: name, roleName: role.roleName) }
        }
        _ = try tolerate([.notFound]) { try aws.deleteInstanceProfile(name: name) }
    }
}
