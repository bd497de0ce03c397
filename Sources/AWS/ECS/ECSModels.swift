/// ECS's wire types (JSON 1.1, camelCase as on the wire).
public struct ECSTag: Sendable, Hashable, Codable {
    public var key: String
    public var value: String
    public init(_ tag: Tag) {
        key = tag.key
        value = tag.value
    }
}

public struct CapacityProviderStrategyItem: Sendable, Hashable, Codable {
    public var capacityProvider: String
    public var weight: Int?
    public var base: Int?
    public init(capacityProvider: String, weight: Int? = 1, base: Int? = nil) {
        self.capacityProvider = capacityProvider
        self.weight = weight
        self.base = base
    }
}

public struct ECSCluster: Sendable, Hashable, Codable {
    public var clusterArn: String
    public var clusterName: String
    public var status: String?
    public var capacityProviders: [String]?
    public var defaultCapacityProviderStrategy: [CapacityProviderStrategyItem]?
    public var runningTasksCount: Int?
    public var pendingTasksCount: Int?
    public var tags: [ECSTag]?
}

public struct ECSFailure: Sendable, Hashable, Codable {
    public var arn: String?
    public var reason: String?
    public var detail: String?
}

public struct PortMapping: Sendable, Hashable, Codable {
    public var containerPort: Int
    public var hostPort: Int?
    public var `protocol`: String?
    public init(containerPort: Int) {
        self.containerPort = containerPort
        hostPort = containerPort
        self.protocol = "tcp"
    }
}

public struct KeyValuePair: Sendable, Hashable, Codable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

public struct LogConfiguration: Sendable, Hashable, Codable {
    public var logDriver: String
    public var options: [String: String]?
    /// awslogs into a group and region, with a stream prefix.
    public static func awslogs(group: String, region: String, streamPrefix: String) -> LogConfiguration {
        LogConfiguration(logDriver: "awslogs",
                         options: ["awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": streamPrefix])
    }
}

public struct ResourceRequirement: Sendable, Hashable, Codable {
    public var type: String
    public var value: String
    public init(type: String, value: String) {
        self.type = type
        self.value = value
    }
}

/// A container's health check as Docker runs it (ECS `HealthCheck`): `["CMD", argv…]` or
/// `["CMD-SHELL", "command"]`; seconds, with ECS's defaults where nil.
public struct ContainerHealthCheck: Sendable, Hashable, Codable {
    public var command: [String]
    public var interval: Int?
    public var timeout: Int?
    public var retries: Int?
    public var startPeriod: Int?

    public init(command: [String], interval: Int? = nil, timeout: Int? = nil, retries: Int? = nil, startPeriod: Int? = nil) {
        self.command = command
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
    }
}

/// A container's variable that ECS fills from Secrets Manager (or SSM) when the task starts,
/// with the task's execution role: the task definition holds only `valueFrom`, the secret's ARN.
public struct ContainerSecret: Sendable, Hashable, Codable {
    public var name: String
    public var valueFrom: String
    public init(name: String, valueFrom: String) {
        self.name = name
        self.valueFrom = valueFrom
    }
}

public struct ContainerDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var image: String
    public var essential: Bool?
    public var command: [String]?
    public var environment: [KeyValuePair]?
    public var portMappings: [PortMapping]?
    /// MiB; moto needs it per container for Fargate.
    public var memory: Int?
    public var cpu: Int?
    public var logConfiguration: LogConfiguration?
    public var resourceRequirements: [ResourceRequirement]?
    public var healthCheck: ContainerHealthCheck?
    /// Seconds between SIGTERM and SIGKILL when the task stops (ECS's default is 30).
    public var stopTimeout: Int?
    public var secrets: [ContainerSecret]?

    public init(name: String, image: String, essential: Bool? = true, command: [String]? = nil,
                environment: [KeyValuePair]? = nil, portMappings: [PortMapping]? = nil, memory: Int? = nil,
                cpu: Int? = nil, logConfiguration: LogConfiguration? = nil, resourceRequirements: [ResourceRequirement]? = nil,
                healthCheck: ContainerHealthCheck? = nil, stopTimeout: Int? = nil, secrets: [ContainerSecret]? = nil) {
        self.name = name
        self.image = image
        self.essential = essential
        self.command = command
        self.environment = environment
        self.portMappings = portMappings
        self.memory = memory
        self.cpu = cpu
        self.logConfiguration = logConfiguration
        self.resourceRequirements = resourceRequirements
        self.healthCheck = healthCheck
        self.stopTimeout = stopTimeout
        self.secrets = secrets
    }
}

public struct RegisterTaskDefinitionRequest: Sendable, Hashable, Codable {
    public var family: String
    public var containerDefinitions: [ContainerDefinition]
    public var networkMode: String?
    public var requiresCompatibilities: [String]?
    /// Task-level CPU units and memory MiB, as strings (AWS's wire form).
    public var cpu: String?
    public var memory: String?
    public var executionRoleArn: String?
    public var taskRoleArn: String?
    public var tags: [ECSTag]?

    /// A Fargate task definition (awsvpc networking).
    public init(family: String, containers: [ContainerDefinition], cpu: Int, memoryMiB: Int,
                executionRoleArn: String? = nil, taskRoleArn: String? = nil, tags: [Tag] = []) {
        self.family = family
        containerDefinitions = containers
        networkMode = "awsvpc"
        requiresCompatibilities = ["FARGATE"]
        self.cpu = String(cpu)
        memory = String(memoryMiB)
        self.executionRoleArn = executionRoleArn
        self.taskRoleArn = taskRoleArn
        self.tags = tags.isEmpty ? nil : tags.map(ECSTag.init)
    }
}

public struct TaskDefinition: Sendable, Hashable, Codable {
    public var taskDefinitionArn: String
    public var family: String
    public var revision: Int
    public var status: String?
    public var containerDefinitions: [ContainerDefinition]?
    public var cpu: String?
    public var memory: String?
    /// The role the task's containers run with (their AWS identity), if any.
    public var taskRoleArn: String?
    /// The role ECS pulls the image and reads secrets with.
    public var executionRoleArn: String?
}

public struct NetworkConfiguration: Sendable, Hashable, Codable {
    public struct AwsVpc: Sendable, Hashable, Codable {
        public var subnets: [String]
        public var securityGroups: [String]
        public var assignPublicIp: String
    }
    public var awsvpcConfiguration: AwsVpc
    public init(subnets: [String], securityGroups: [String], assignPublicIp: Bool) {
        awsvpcConfiguration = AwsVpc(subnets: subnets, securityGroups: securityGroups,
                                     assignPublicIp: assignPublicIp ? "ENABLED" : "DISABLED")
    }
}

public struct ContainerOverride: Sendable, Hashable, Codable {
    public var name: String
    public var command: [String]?
    public var environment: [KeyValuePair]?
    public init(name: String, command: [String]? = nil, environment: [KeyValuePair]? = nil) {
        self.name = name
        self.command = command
        self.environment = environment
    }
}

public struct TaskOverride: Sendable, Hashable, Codable {
    public var containerOverrides: [ContainerOverride]
    public init(containerOverrides: [ContainerOverride]) { self.containerOverrides = containerOverrides }
}

public struct RunTaskRequest: Sendable, Hashable, Codable {
    public var cluster: String
    public var taskDefinition: String
    public var count: Int?
    /// Either a launch type or a capacity provider strategy (or neither: the cluster's default).
    public var launchType: String?
    public var capacityProviderStrategy: [CapacityProviderStrategyItem]?
    public var networkConfiguration: NetworkConfiguration?
    public var overrides: TaskOverride?
    /// Idempotency token (up to 64 characters).
    public var clientToken: String?
    public var startedBy: String?
    public var group: String?
    public var tags: [ECSTag]?
    public var propagateTags: String?
    public var enableExecuteCommand: Bool?

    public init(cluster: String, taskDefinition: String, count: Int = 1, launchType: String? = nil,
                capacityProviderStrategy: [CapacityProviderStrategyItem]? = nil, networkConfiguration: NetworkConfiguration? = nil,
                overrides: TaskOverride? = nil, clientToken: String? = nil, startedBy: String? = nil, group: String? = nil,
                tags: [Tag] = []) {
        self.cluster = cluster
        self.taskDefinition = taskDefinition
        self.count = count
        self.launchType = launchType
        self.capacityProviderStrategy = capacityProviderStrategy
        self.networkConfiguration = networkConfiguration
        self.overrides = overrides
        self.clientToken = clientToken
        self.startedBy = startedBy
        self.group = group
        self.tags = tags.isEmpty ? nil : tags.map(ECSTag.init)
    }
}

public struct ECSTask: Sendable, Hashable, Codable {
    public struct Attachment: Sendable, Hashable, Codable {
        public var id: String?
        public var type: String?
        public var status: String?
        public var details: [KeyValuePair]?
    }
    public struct Container: Sendable, Hashable, Codable {
        public var name: String?
        public var lastStatus: String?
        public var healthStatus: String?
        public var exitCode: Int?
        public var reason: String?
    }
    public var taskArn: String
    public var clusterArn: String?
    public var taskDefinitionArn: String?
    public var lastStatus: String?
    public var desiredStatus: String?
    public var launchType: String?
    public var capacityProviderName: String?
    public var startedBy: String?
    public var group: String?
    public var stoppedReason: String?
    public var stopCode: String?
    /// HEALTHY once every essential container with a health check passes it; UNKNOWN before.
    public var healthStatus: String?
    public var containers: [Container]?
    public var attachments: [Attachment]?
    public var tags: [ECSTag]?

    /// The private IPv4 address of an awsvpc task, once its ENI is attached.
    public var privateIPv4Address: String? {
        attachments?.lazy.compactMap { $0.details?.first { $0.name == "privateIPv4Address" }?.value }.first
    }

    public var networkInterfaceId: String? {
        attachments?.lazy.compactMap { $0.details?.first { $0.name == "networkInterfaceId" }?.value }.first
    }
}

public struct RunTaskResult: Sendable, Hashable, Codable {
    public var tasks: [ECSTask]
    public var failures: [ECSFailure]
}
