/// The one table of AWS actions Berth calls, from which `berth iam-policy` is generated.
/// `impliedBy`: actions AWS authorizes as part of another call (tags on create, passing a
/// role) rather than as calls of their own; only those. Actions Berth calls only on some
/// paths (adopting what a crashed attempt made) are calls of their own, with no `impliedBy`.
/// IAMPolicyTests checks the table against the calls a restricted IAM user makes.
public struct AWSAction: Sendable, Hashable {
    public enum Statement: String, Sendable, CaseIterable {
        /// Once per tenant (IAM) or per tenant and region (the shared network); and their removal
        /// when the tenant is offboarded (`berth tenant delete`).
        case setup = "Setup"
        /// Every cluster create and delete, and the credential check.
        case ongoing = "Ongoing"
        /// IAM writes on Berth's own roles only (`berth-*`).
        case roles = "BerthRoles"
        /// Attaching a managed policy to Berth's roles: only the one Berth attaches.
        case rolePolicies = "BerthRolePolicies"
        /// Berth's own instance profiles only (`berth-*`).
        case instanceProfiles = "BerthInstanceProfiles"
        /// Handing Berth's own roles (and a tenant's worker roles) to ECS tasks and EC2 instances, and nothing else.
        case passRole = "PassRole"

        /// The managed policies Berth attaches (to the tenant's task execution role).
        public static let attachedPolicies = ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]

        /// Which resources the statement covers. The roles and instance profiles Berth creates are
        /// all named `berth-…` (`Names`), with path `/`; tenants' worker roles (`WorkerRole`) are
        /// passed too, named one by one.
        public func resources(workerRoles: [String] = []) -> [String] {
            switch self {
            case .setup, .ongoing: return ["*"]
            case .roles, .rolePolicies: return ["arn:aws:iam::*:role/berth-*"]
            case .instanceProfiles: return ["arn:aws:iam::*:instance-profile/berth-*"]
            case .passRole: return ["arn:aws:iam::*:role/berth-*"] + workerRoles
            }
        }

        /// The statement's `Condition` (operator → key → values), if any: a Berth role may be
        /// passed to the two services that run Berth's work, not to Lambda or anything else, and
        /// only the policy Berth attaches may be attached (not AdministratorAccess).
        public var condition: [String: [String: [String]]]? {
            switch self {
            case .setup, .ongoing, .roles, .instanceProfiles: return nil
            case .rolePolicies: return ["ArnEquals": ["iam:PolicyARN": Self.attachedPolicies]]
            case .passRole: return ["StringEquals": ["iam:PassedToService": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]]]
            }
        }
    }

    public let name: String
    public let statement: Statement
    public let purpose: String
    public let impliedBy: [String]

    init(_ name: String, _ statement: Statement, _ purpose: String, impliedBy: [String] = []) {
        self.name = name
        self.statement = statement
        self.purpose = purpose
        self.impliedBy = impliedBy
    }
}

public enum AWSActions {
    public static let all: [AWSAction] = [
        // Setup: per tenant (IAM is global).
        AWSAction("iam:CreateRole", .roles, "task execution role and instance role"),
        AWSAction("iam:GetRole", .setup, "adopt an existing role; check the ECS service-linked role and a cluster's worker role; credential preflight"),
        AWSAction("iam:TagRole", .roles, "tags on the roles it creates", impliedBy: ["iam:CreateRole"]),
        AWSAction("iam:AttachRolePolicy", .rolePolicies, "AmazonECSTaskExecutionRolePolicy on the execution role"),
        AWSAction("iam:CreateInstanceProfile", .instanceProfiles, "instance profile for VM instances; a VM cluster's workers' for its worker role"),
        AWSAction("iam:TagInstanceProfile", .instanceProfiles, "tags on the instance profile", impliedBy: ["iam:CreateInstanceProfile"]),
        AWSAction("iam:GetInstanceProfile", .instanceProfiles, "adopt the instance profile a crashed attempt made; find a cluster's to delete"),
        AWSAction("iam:AddRoleToInstanceProfile", .instanceProfiles, "put the instance role (or a worker role) in its profile"),
        AWSAction("iam:CreateServiceLinkedRole", .setup, "create AWSServiceRoleForECS when the account lacks it"),
        // Setup: per tenant and region (the shared network).
        AWSAction("ec2:CreateVpc", .setup, "the tenant's VPC in a region; credential preflight (dry run)"),
        AWSAction("ec2:DescribeVpcs", .setup, "adopt a VPC a crashed attempt made"),
        AWSAction("ec2:ModifyVpcAttribute", .setup, "DNS support and hostnames (Fargate needs them)"),
        AWSAction("ec2:DescribeAvailabilityZones", .setup, "one public subnet per zone"),
        AWSAction("ec2:CreateSubnet", .setup, "public subnets"),
        AWSAction("ec2:DescribeSubnets", .setup, "adopt subnets a crashed attempt made"),
        AWSAction("ec2:ModifySubnetAttribute", .setup, "public IPs on launch"),
        AWSAction("ec2:CreateInternetGateway", .setup, "internet access"),
        AWSAction("ec2:DescribeInternetGateways", .setup, "adopt a gateway a crashed attempt made"),
        AWSAction("ec2:AttachInternetGateway", .setup, "attach it to the VPC"),
        AWSAction("ec2:CreateRouteTable", .setup, "public route table"),
        AWSAction("ec2:DescribeRouteTables", .setup, "adopt a route table a crashed attempt made"),
        AWSAction("ec2:CreateRoute", .setup, "default route to the internet gateway"),
        AWSAction("ec2:AssociateRouteTable", .setup, "route table for each subnet"),
        AWSAction("ecs:CreateCluster", .setup, "the tenant's ECS cluster (FARGATE, FARGATE_SPOT)"),
        AWSAction("ecs:ListClusters", .setup, "credential preflight"),
        AWSAction("logs:CreateLogGroup", .setup, "log group for the tasks"),
        AWSAction("logs:TagResource", .setup, "tags on the log group", impliedBy: ["logs:CreateLogGroup"]),
        AWSAction("logs:PutRetentionPolicy", .setup, "30-day retention"),
        AWSAction("ecr:CreateRepository", .setup, "the tenant's image repository"),
        AWSAction("ecr:TagResource", .setup, "tags on the repository", impliedBy: ["ecr:CreateRepository"]),
        AWSAction("ecr:DescribeRepositories", .setup, "adopt the repository a crashed attempt made"),
        // Offboarding (`berth tenant delete`): what the setup made, per region and then IAM.
        AWSAction("ecs:DeleteCluster", .setup, "offboarding: the tenant's ECS cluster in a region"),
        AWSAction("logs:DeleteLogGroup", .setup, "offboarding: the tenant's log group in a region"),
        AWSAction("ecr:DeleteRepository", .setup, "offboarding: the tenant's repository in a region, with its images"),
        AWSAction("ec2:DisassociateRouteTable", .setup, "offboarding: the tenant's own network (never the shared one)"),
        AWSAction("ec2:DeleteRouteTable", .setup, "offboarding: the tenant's own network"),
        AWSAction("ec2:DetachInternetGateway", .setup, "offboarding: the tenant's own network"),
        AWSAction("ec2:DeleteInternetGateway", .setup, "offboarding: the tenant's own network"),
        AWSAction("ec2:DeleteSubnet", .setup, "offboarding: the tenant's own network"),
        AWSAction("ec2:DeleteVpc", .setup, "offboarding: the tenant's own network"),
        AWSAction("iam:ListAttachedRolePolicies", .roles, "offboarding: what to detach from the tenant's roles"),
        AWSAction("iam:DetachRolePolicy", .rolePolicies, "offboarding: AmazonECSTaskExecutionRolePolicy from the execution role"),
        AWSAction("iam:DeleteRole", .roles, "offboarding: the tenant's execution and instance roles"),
        // Ongoing: every cluster.
        AWSAction("sts:GetCallerIdentity", .ongoing, "check a tenant's key before it is stored"),
        AWSAction("ec2:CreateTags", .ongoing, "tags given at creation (TagSpecifications)",
                  impliedBy: ["ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateInternetGateway", "ec2:CreateRouteTable",
                              "ec2:CreateSecurityGroup", "ec2:RunInstances"]),
        AWSAction("ec2:CreateSecurityGroup", .ongoing, "each cluster's security group; credential preflight (dry run)"),
        AWSAction("ec2:DescribeSecurityGroups", .ongoing, "adopt a group; find a cluster's groups to delete"),
        AWSAction("ec2:AuthorizeSecurityGroupIngress", .ongoing, "traffic within the cluster; scheduler ports from ingress_cidrs"),
        AWSAction("ec2:DeleteSecurityGroup", .ongoing, "delete"),
        AWSAction("ec2:DescribeNetworkInterfaces", .ongoing, "the scheduler's public address"),
        AWSAction("ecs:RegisterTaskDefinition", .ongoing, "scheduler and worker task definitions"),
        AWSAction("ecs:DescribeTaskDefinition", .ongoing, "adopt after a crash; find revisions to deregister"),
        AWSAction("ecs:DeregisterTaskDefinition", .ongoing, "delete"),
        AWSAction("ecs:TagResource", .ongoing, "tags on clusters, task definitions and tasks",
                  impliedBy: ["ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:RunTask"]),
        AWSAction("iam:PassRole", .passRole,
                  "give the execution role (and a worker role) to ECS tasks, the instance role (or a worker role) in its profile to instances",
                  impliedBy: ["ecs:RegisterTaskDefinition", "ec2:RunInstances"]),
        AWSAction("ecs:RunTask", .ongoing, "scheduler and worker tasks"),
        AWSAction("ecs:DescribeTasks", .ongoing, "wait for RUNNING; wait for STOPPED on delete"),
        AWSAction("ecs:ListTasks", .ongoing, "find a cluster's tasks to stop"),
        AWSAction("ecs:StopTask", .ongoing, "delete"),
        // Ongoing: every cluster's TLS keys (a secret per cluster, read by the tenant's roles).
        AWSAction("secretsmanager:CreateSecret", .ongoing, "the secret that carries a cluster's TLS keys to its scheduler and workers"),
        AWSAction("secretsmanager:TagResource", .ongoing, "tags on the secret", impliedBy: ["secretsmanager:CreateSecret"]),
        AWSAction("secretsmanager:DescribeSecret", .ongoing, "adopt the secret after a crash; list what a cluster has"),
        AWSAction("secretsmanager:PutResourcePolicy", .ongoing, "let the tenant's execution and instance roles read the cluster's secret"),
        AWSAction("secretsmanager:DeleteSecret", .ongoing, "delete (without a recovery window)"),
        // Ongoing: the orphan sweep (`berth sweep`), which lists what Berth tagged.
        AWSAction("ecs:ListTaskDefinitionFamilies", .ongoing, "sweep: Berth's task definition families (berth-<cluster id>-<role>)"),
        AWSAction("ecs:ListTaskDefinitions", .ongoing, "sweep: a family's active revisions"),
        AWSAction("secretsmanager:ListSecrets", .ongoing, "sweep: secrets tagged berth:managed"),
        // Ongoing: VM clusters.
        AWSAction("ec2:DescribeInstanceTypes", .ongoing, "check instance types exist and GPU workers get exactly one GPU"),
        AWSAction("ec2:DescribeInstanceTypeOfferings", .ongoing, "check instance types are offered in the region"),
        AWSAction("ec2:DescribeImages", .ongoing, "the default Amazon Linux 2023 image of the region"),
        AWSAction("ec2:RunInstances", .ongoing, "scheduler and worker instances; credential preflight (dry run)"),
        AWSAction("ec2:DescribeInstances", .ongoing, "wait for running; adopt after a crash; find instances to terminate"),
        AWSAction("ec2:TerminateInstances", .ongoing, "delete"),
        AWSAction("ec2:GetConsoleOutput", .ongoing, "readiness: the scheduler's console says Dask answers and workers are connected"),
        // Ongoing: a VM cluster's worker role (its workers' instance profile).
        AWSAction("iam:RemoveRoleFromInstanceProfile", .instanceProfiles, "delete: empty the workers' instance profile (and, offboarding, the tenant's)"),
        AWSAction("iam:DeleteInstanceProfile", .instanceProfiles, "delete: the workers' instance profile (and, offboarding, the tenant's)"),
    ]
}
