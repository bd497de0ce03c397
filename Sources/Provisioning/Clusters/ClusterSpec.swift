import Foundation

/// A cluster's resolved spec, as `berth.resolve_spec` stored it (every default filled in).
public struct ClusterSpec: Sendable, Codable, Equatable {
    public var backend: Backend
    public var region: String
    public var fargateSpot: Bool?
    public var spot: Bool?
    public var workers: Int
    public var workerGpus: Int
    public var workerCpu: Double
    public var workerMemory: Double
    public var schedulerCpu: Double
    public var schedulerMemory: Double
    public var workerInstanceType: String?
    public var schedulerInstanceType: String?
    public var image: String?
    public var ingressCidrs: [String]?
    /// The IAM role the workers run with (the spec's, else the tenant's at create time); nil: none.
    public var workerRoleArn: String?
    /// How long the scheduler may be idle before it exits (`20m`, `0` off; Dask decides what
    /// idle means); nil in specs resolved before the key existed (off).
    public var idleTimeout: String?
    /// How long the cluster may live; nil: no limit.
    public var maxLifetime: String?

    enum CodingKeys: String, CodingKey {
        case backend, region, fargateSpot = "fargate_spot", spot, workers, workerGpus = "worker_gpus", workerCpu = "worker_cpu",
             workerMemory = "worker_memory", schedulerCpu = "scheduler_cpu", schedulerMemory = "scheduler_memory",
             workerInstanceType = "worker_instance_type", schedulerInstanceType = "scheduler_instance_type", image,
             ingressCidrs = "ingress_cidrs", workerRoleArn = "worker_role_arn",
             idleTimeout = "idle_timeout", maxLifetime = "max_lifetime"
    }

    /// `idle_timeout` in seconds; nil when off.
    public var idleTimeoutSeconds: Int? { idleTimeout.flatMap(SpecDuration.seconds).flatMap { $0 > 0 ? $0 : nil } }
    /// `max_lifetime` in seconds; nil when there is none.
    public var maxLifetimeSeconds: Int? { maxLifetime.flatMap(SpecDuration.seconds).flatMap { $0 > 0 ? $0 : nil } }

    public static func decode(_ json: String) throws -> ClusterSpec {
        try JSONDecoder().decode(ClusterSpec.self, from: Data(json.utf8))
    }
}
