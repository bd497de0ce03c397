import AWS
import Testing

/// Roles, role policies, instance profiles, service-linked role (IAM is global).
@Suite struct IAMTests {
    static let ecsTrust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
    static let logsPolicy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}"#

    @Test func roleLifecycle() async throws {
        guard let emulator = Emulator.current() else { return }
        // IAM ignores the region: a client in eu-central-1 signs for us-east-1.
        let client = emulator.client(region: "eu-central-1")
        try await onThread {
            let role = try client.createRole(name: "berth-t1-exec", assumeRolePolicyDocument: Self.ecsTrust,
                                             description: "task execution", tags: [Tag("berth:tenant", "t1")])
            #expect(role.arn.hasSuffix(":role/berth-t1-exec"))
            #expect(try client.getRole(name: "berth-t1-exec").roleId == role.roleId)
            let exists = #expect(throws: AWSError.self) {
                try client.createRole(name: "berth-t1-exec", assumeRolePolicyDocument: Self.ecsTrust)
            }
            #expect(exists?.classification == .alreadyExists)

            try client.putRolePolicy(roleName: role.roleName, policyName: "logs", policyDocument: Self.logsPolicy)
            #expect(try client.listRolePolicies(roleName: role.roleName) == ["logs"])
            let managed = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
            try client.attachRolePolicy(roleName: role.roleName, policyArn: managed)
            #expect(try client.listAttachedRolePolicies(roleName: role.roleName) == [managed])

            let profile = try client.createInstanceProfile(name: "berth-t1-vm", tags: [Tag("berth:tenant", "t1")])
            try client.addRoleToInstanceProfile(profileName: profile.name, roleName: role.roleName)
            #expect(try client.getInstanceProfile(name: profile.name).roles.map(\.roleName) == [role.roleName])

            let conflict = #expect(throws: AWSError.self) { try client.deleteRole(name: role.roleName) }
            #expect(conflict?.classification == .dependencyViolation)
            #expect(conflict?.code == "DeleteConflict")

            try client.removeRoleFromInstanceProfile(profileName: profile.name, roleName: role.roleName)
            try client.deleteInstanceProfile(name: profile.name)
            try client.detachRolePolicy(roleName: role.roleName, policyArn: managed)
            try client.deleteRolePolicy(roleName: role.roleName, policyName: "logs")
            try client.deleteRole(name: role.roleName)
            let gone = #expect(throws: AWSError.self) { try client.getRole(name: role.roleName) }
            #expect(gone?.classification == .notFound)
            #expect(gone?.code == "NoSuchEntity")

            let linked = try client.createServiceLinkedRole(awsServiceName: "ecs.amazonaws.com")
            // AWS names it AWSServiceRoleForECS; moto 5.2.1 lower-cases the suffix.
            #expect(linked.roleName.lowercased() == "awsserviceroleforecs")
            #expect(linked.arn.contains(":role/aws-service-role/ecs.amazonaws.com/"))
        }
    }
}
