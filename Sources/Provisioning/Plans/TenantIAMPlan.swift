import AWS
import Foundation

/// Per tenant (IAM is global): the ECS task execution role, the EC2 instance role and its
/// profile, and the ECS service-linked role the account needs once.
enum TenantIAMPlan {
    static func plan(tenant: Tenant) -> Plan {
        Plan(scope: "tenant:\(tenant.id.uuidString.lowercased())", steps: [
            Step("execution_role", .create) { ctx in
                let name = Names.executionRole(tenant: tenant.name)
                let arn = try ensureRole(ctx, name: name, service: "ecs-tasks.amazonaws.com")
                try ctx.aws.attachRolePolicy(roleName: name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
                return .done(["execution_role_arn": arn])
            },
            Step("instance_role", .create) { ctx in
                let arn = try ensureRole(ctx, name: Names.instanceRole(tenant: tenant.name), service: "ec2.amazonaws.com")
                return .done(["instance_role_arn": arn])
            },
            Step("instance_profile", .create) { ctx in
                let name = Names.instanceProfile(tenant: tenant.name)
                let profile = try InstanceProfiles.ensure(ctx, name: name, roleName: Names.instanceRole(tenant: tenant.name))
                return .done(["instance_profile_arn": profile.arn, "instance_profile_name": name])
            },
            Step("ecs_service_linked_role", .create) { ctx in
                try ensureServiceLinkedRole(ctx)
            },
        ])
    }

    /// Creates the role, or adopts it when a role of that name exists (a resumed attempt, or
    /// another region's network job of the same tenant).
    private static func ensureRole(_ ctx: StepContext, name: String, service: String) throws -> String {
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"\#(service)"},"Action":"sts:AssumeRole"}]}"#
        return try tolerate([.alreadyExists]) {
            try ctx.aws.createRole(name: name, assumeRolePolicyDocument: trust, description: "Berth: \(service) role",
                                   tags: ctx.tags.tags(name: name)).arn
        } ?? ctx.aws.getRole(name: name).arn
    }

    /// ECS needs AWSServiceRoleForECS in the account before its first cluster. Berth creates it
    /// when the keys allow, and otherwise says exactly how to.
    private static let createSent = "ecs_service_linked_role_create_sent"

    private static func ensureServiceLinkedRole(_ ctx: StepContext) throws -> StepOutcome {
        var missing = false
        switch Result(catching: { () throws(AWSError) in try ctx.aws.getRole(name: Names.ecsServiceLinkedRole) }) {
        case .success(let role) where ctx.progress[createSent] != nil:
            // An earlier run sent the create and never heard back (a lost answer): it made it.
            try noteCreated(ctx, how: " (the answer to its request was lost; the role is there now)")
            return .done(["ecs_service_linked_role": role.arn, "ecs_service_linked_role_created": "true"])
        case .success(let role):
            return .done(["ecs_service_linked_role": role.arn])
        case .failure(let error) where error.classification != .notFound && error.classification != .auth:
            throw error
        case .failure(let error):
            missing = error.classification == .notFound  // Missing (or we may not look): try to create it.
        }
        // Written before the create, so a run after a lost answer still says Berth made the role.
        try ctx.saveProgress([createSent: "true"])
        switch Result(catching: { () throws(AWSError) in try ctx.aws.createServiceLinkedRole(awsServiceName: "ecs.amazonaws.com") }) {
        case .success(let role):
            try noteCreated(ctx)
            return .done(["ecs_service_linked_role": role.arn, "ecs_service_linked_role_created": "true"])
        case .failure(let error) where error.message.contains("has been taken") || error.classification == .alreadyExists:
            guard missing else { return .done(["ecs_service_linked_role": Names.ecsServiceLinkedRole]) }
            // Missing a moment ago: the client's retry of a create whose answer was lost (IAM
            // names are unique, so it is re-sent), or another Berth job made it at the same moment.
            try noteCreated(ctx, how: " (the answer to its request was lost, or another Berth job made it at the same moment)")
            return .done(["ecs_service_linked_role": Names.ecsServiceLinkedRole, "ecs_service_linked_role_created": "true"])
        case .failure(let error) where error.classification == .auth:
            throw StepFailure("the ECS service-linked role \(Names.ecsServiceLinkedRole) is missing in the AWS account and these keys may not create it (\(error.code)). Create it once with `aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com` (or grant iam:CreateServiceLinkedRole), then retry the job")
        case .failure(let error):
            throw error
        }
    }

    /// The event that tells the tenant Berth made the account's ECS service-linked role.
    private static func noteCreated(_ ctx: StepContext, how: String = "") throws {
        try ctx.note("the AWS account had no ECS service-linked role (\(Names.ecsServiceLinkedRole)); Berth created it\(how)")
    }
}
