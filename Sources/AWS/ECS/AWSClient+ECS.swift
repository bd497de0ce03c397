/// ECS: clusters with capacity providers, task definitions, tasks.
extension AWSClient {
    public func createCluster(name: String, capacityProviders: [String] = ["FARGATE", "FARGATE_SPOT"],
                              defaultStrategy: [CapacityProviderStrategyItem] = [], tags: [Tag] = []) throws(AWSError) -> ECSCluster {
        struct Input: Encodable {
            let clusterName: String
            let capacityProviders: [String]
            let defaultCapacityProviderStrategy: [CapacityProviderStrategyItem]?
            let tags: [ECSTag]?
        }
        struct Output: Decodable { let cluster: ECSCluster }
        return try json(.ecs, action: "CreateCluster",
                        Input(clusterName: name, capacityProviders: capacityProviders,
                              defaultCapacityProviderStrategy: defaultStrategy.isEmpty ? nil : defaultStrategy,
                              tags: tags.isEmpty ? nil : tags.map(ECSTag.init)),
                        as: Output.self).cluster
    }

    /// Clusters by name or ARN; unknown ones come back in `failures` (`MISSING`), not as an error.
    public func describeClusters(_ clusters: [String]) throws(AWSError) -> (clusters: [ECSCluster], failures: [ECSFailure]) {
        struct Input: Encodable { let clusters: [String]; let include: [String] }
        struct Output: Decodable { let clusters: [ECSCluster]?; let failures: [ECSFailure]? }
        let out = try json(.ecs, action: "DescribeClusters", Input(clusters: clusters, include: ["TAGS"]), as: Output.self)
        return (out.clusters ?? [], out.failures ?? [])
    }

    /// Cluster ARNs, all pages.
    public func listClusters() throws(AWSError) -> [String] {
        struct Input: Encodable { let nextToken: String? }
        struct Output: Decodable { let clusterArns: [String]?; let nextToken: String? }
        var arns: [String] = []
        var token: String?
        repeat {
            let out = try json(.ecs, action: "ListClusters", Input(nextToken: token), as: Output.self)
            arns += out.clusterArns ?? []
            token = out.nextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return arns
    }

    public func putClusterCapacityProviders(cluster: String, capacityProviders: [String],
                                            defaultStrategy: [CapacityProviderStrategyItem]) throws(AWSError) -> ECSCluster {
        struct Input: Encodable {
            let cluster: String
            let capacityProviders: [String]
            let defaultCapacityProviderStrategy: [CapacityProviderStrategyItem]
        }
        struct Output: Decodable { let cluster: ECSCluster }
        return try json(.ecs, action: "PutClusterCapacityProviders",
                        Input(cluster: cluster, capacityProviders: capacityProviders, defaultCapacityProviderStrategy: defaultStrategy),
                        as: Output.self).cluster
    }

    public func deleteCluster(_ cluster: String) throws(AWSError) {
        struct Input: Encodable { let cluster: String }
        _ = try json(.ecs, action: "DeleteCluster", Input(cluster: cluster), as: EmptyJSON.self)
    }

    public func registerTaskDefinition(_ request: RegisterTaskDefinitionRequest) throws(AWSError) -> TaskDefinition {
        struct Output: Decodable { let taskDefinition: TaskDefinition }
        return try json(.ecs, action: "RegisterTaskDefinition", request, as: Output.self).taskDefinition
    }

    /// `family`, `family:revision` or an ARN.
    public func describeTaskDefinition(_ taskDefinition: String) throws(AWSError) -> TaskDefinition {
        struct Input: Encodable { let taskDefinition: String }
        struct Output: Decodable { let taskDefinition: TaskDefinition }
        return try json(.ecs, action: "DescribeTaskDefinition", Input(taskDefinition: taskDefinition), as: Output.self).taskDefinition
    }

    /// Task definition families whose name starts with `prefix`, all pages; `status` ACTIVE: only
    /// families with an active revision (ListTaskDefinitionFamilies).
    public func listTaskDefinitionFamilies(prefix: String, status: String = "ACTIVE") throws(AWSError) -> [String] {
        struct Input: Encodable { let familyPrefix: String; let status: String; let nextToken: String? }
        struct Output: Decodable { let families: [String]?; let nextToken: String? }
        return try jsonPages(.ecs, action: "ListTaskDefinitionFamilies", { Input(familyPrefix: prefix, status: status, nextToken: $0) },
                             as: Output.self, items: { $0.families ?? [] }, next: \.nextToken)
    }

    /// The ARNs of one family's revisions in `status` (ACTIVE or INACTIVE), all pages. Despite
    /// its name, ListTaskDefinitions' `familyPrefix` is the full family name (AWS's API
    /// reference): for a prefix, list the families first.
    public func listTaskDefinitions(familyPrefix: String, status: String = "ACTIVE") throws(AWSError) -> [String] {
        struct Input: Encodable { let familyPrefix: String; let status: String; let nextToken: String? }
        struct Output: Decodable { let taskDefinitionArns: [String]?; let nextToken: String? }
        return try jsonPages(.ecs, action: "ListTaskDefinitions", { Input(familyPrefix: familyPrefix, status: status, nextToken: $0) },
                             as: Output.self, items: { $0.taskDefinitionArns ?? [] }, next: \.nextToken)
    }

    /// DescribeTaskDefinition with its tags (`include: TAGS`).
    public func describeTaskDefinitionTags(_ taskDefinition: String) throws(AWSError) -> (definition: TaskDefinition, tags: [ECSTag]) {
        struct Input: Encodable { let taskDefinition: String; let include: [String] }
        struct Output: Decodable { let taskDefinition: TaskDefinition; let tags: [ECSTag]? }
        let out = try json(.ecs, action: "DescribeTaskDefinition", Input(taskDefinition: taskDefinition, include: ["TAGS"]), as: Output.self)
        return (out.taskDefinition, out.tags ?? [])
    }

    public func deregisterTaskDefinition(_ taskDefinition: String) throws(AWSError) {
        struct Input: Encodable { let taskDefinition: String }
        _ = try json(.ecs, action: "DeregisterTaskDefinition", Input(taskDefinition: taskDefinition), as: EmptyJSON.self)
    }

    /// Always sends a `clientToken` (a random one when the request has none), so a retry never
    /// starts a task twice. Placement failures (capacity, quotas) come back in `failures`.
    public func runTask(_ request: RunTaskRequest) throws(AWSError) -> RunTaskResult {
        struct Output: Decodable { let tasks: [ECSTask]?; let failures: [ECSFailure]? }
        var request = request
        if request.clientToken == nil { request.clientToken = AWSClient.randomClientToken() }
        let out = try json(.ecs, action: "RunTask", request, as: Output.self, idempotency: .idempotent)
        return RunTaskResult(tasks: out.tasks ?? [], failures: out.failures ?? [])
    }

    public func describeTasks(cluster: String, tasks: [String]) throws(AWSError) -> (tasks: [ECSTask], failures: [ECSFailure]) {
        struct Input: Encodable { let cluster: String; let tasks: [String]; let include: [String] }
        struct Output: Decodable { let tasks: [ECSTask]?; let failures: [ECSFailure]? }
        let out = try json(.ecs, action: "DescribeTasks", Input(cluster: cluster, tasks: tasks, include: ["TAGS"]), as: Output.self)
        return (out.tasks ?? [], out.failures ?? [])
    }

    /// Task ARNs, all pages. `desiredStatus`: RUNNING (default in AWS), PENDING or STOPPED.
    public func listTasks(cluster: String, startedBy: String? = nil, family: String? = nil, desiredStatus: String? = nil,
                          pageSize: Int? = nil) throws(AWSError) -> [String] {
        struct Input: Encodable {
            let cluster: String
            let startedBy: String?
            let family: String?
            let desiredStatus: String?
            let maxResults: Int?
            let nextToken: String?
        }
        struct Output: Decodable { let taskArns: [String]?; let nextToken: String? }
        var arns: [String] = []
        var token: String?
        repeat {
            let out = try json(.ecs, action: "ListTasks",
                               Input(cluster: cluster, startedBy: startedBy, family: family, desiredStatus: desiredStatus,
                                     maxResults: pageSize, nextToken: token), as: Output.self)
            arns += out.taskArns ?? []
            token = out.nextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return arns
    }

    public func stopTask(cluster: String, task: String, reason: String) throws(AWSError) -> ECSTask {
        struct Input: Encodable { let cluster: String; let task: String; let reason: String }
        struct Output: Decodable { let task: ECSTask }
        return try json(.ecs, action: "StopTask", Input(cluster: cluster, task: task, reason: reason), as: Output.self).task
    }
}
