import AWS
import Foundation

/// Choosing and checking EC2 instance types and images for the VM backend.
enum VMInstances {
    /// Default GPU worker: one NVIDIA T4, 4 vCPUs, 16 GiB.
    static let defaultGPUType = "g4dn.xlarge"
    static let defaultSchedulerType = "m6i.large"
    /// General-purpose sizes (vCPUs, GiB) to pick a CPU worker type from the spec's size.
    static let generalPurpose: [(type: String, cpu: Double, memory: Double)] = [
        ("m6i.large", 2, 8), ("m6i.xlarge", 4, 16), ("m6i.2xlarge", 8, 32), ("m6i.4xlarge", 16, 64),
        ("m6i.8xlarge", 32, 128), ("m6i.12xlarge", 48, 192), ("m6i.16xlarge", 64, 256), ("m6i.24xlarge", 96, 384),
        ("m6i.32xlarge", 128, 512),
    ]

    /// The worker type: the spec's, else a GPU default, else the smallest general-purpose type
    /// that fits the spec's vCPUs and memory.
    static func workerType(_ spec: ClusterSpec) throws -> String {
        if let type = spec.workerInstanceType { return type }
        if spec.workerGpus > 0 { return defaultGPUType }
        guard let fit = generalPurpose.first(where: { $0.cpu >= spec.workerCpu && $0.memory >= spec.workerMemory }) else {
            throw StepFailure("no general-purpose instance type has \(spec.workerCpu) vCPUs and \(spec.workerMemory) GiB; name one with worker_instance_type")
        }
        return fit.type
    }

    /// The scheduler type: the spec's, else the smallest general-purpose type that fits the
    /// spec's scheduler vCPUs and memory.
    static func schedulerType(_ spec: ClusterSpec) throws -> String {
        if let type = spec.schedulerInstanceType { return type }
        guard let fit = generalPurpose.first(where: { $0.cpu >= spec.schedulerCpu && $0.memory >= spec.schedulerMemory }) else {
            throw StepFailure("no general-purpose instance type has \(spec.schedulerCpu) vCPUs and \(spec.schedulerMemory) GiB; name one with scheduler_instance_type")
        }
        return fit.type
    }

    /// Checks through DescribeInstanceTypes and DescribeInstanceTypeOfferings that the types
    /// exist, are offered in at least one of `zones` (offerings differ per zone, not only per
    /// region), and that GPU workers get exactly one GPU (and no worker gets several). Returns
    /// the zones of `zones` that offer each type.
    static func check(worker: String, scheduler: String, spec: ClusterSpec, region: String, zones: [String],
                      aws: AWSClient) throws -> [String: Set<String>] {
        let types = Array(Set([worker, scheduler]))
        let infos: [InstanceTypeInfo]
        // (A Result rather than do/catch-where: Swift 6.3 crashes compiling the latter on typed throws.)
        switch Swift.Result(catching: { () throws(AWSError) in try aws.describeInstanceTypes(types: types) }) {
        case .success(let found): infos = found
        case .failure(let error) where error.classification == .invalidInput || error.code.hasPrefix("InvalidInstanceType"):
            throw StepFailure("unknown instance type among \(types.joined(separator: ", ")): \(error.message)")
        case .failure(let error): throw error
        }
        for type in types where !infos.contains(where: { $0.instanceType == type }) {
            throw StepFailure("instance type \(type) does not exist")
        }
        var offered: [String: Set<String>] = [:]
        for offering in try aws.describeInstanceTypeOfferings(locationType: "availability-zone", filters: [EC2Filter("instance-type", types)])
            where zones.contains(offering.location) {
            offered[offering.instanceType, default: []].insert(offering.location)
        }
        for type in types where offered[type, default: []].isEmpty {
            throw StepFailure("instance type \(type) is not offered in \(region) (zones \(zones.joined(separator: ", "))); pick another type or region")
        }
        // The default images are x86_64: an Arm type needs an Arm image named in the spec.
        if spec.image == nil, let arm = infos.first(where: { !$0.architectures.isEmpty && !$0.architectures.contains("x86_64") }) {
            throw StepFailure("\(arm.instanceType) runs \(arm.architectures.joined(separator: "/")), but the default images are x86_64: pick an x86_64 type or set \"image\" to a matching AMI")
        }
        let workerInfo = infos.first { $0.instanceType == worker }!
        if workerInfo.gpus > 1 {
            throw StepFailure("\(worker) has \(workerInfo.gpus) GPUs, but workers currently have access to a single GPU: pick a type with exactly one GPU, such as \(defaultGPUType)")
        }
        if spec.workerGpus > 0 && workerInfo.gpus != 1 {
            throw StepFailure("worker_gpus is 1 but \(worker) has no GPU: pick a type with exactly one GPU, such as \(defaultGPUType)")
        }
        return offered
    }

    /// The newest Amazon Linux 2023 image in the region (for GPU workers, the ECS GPU-optimized
    /// AL2023 image, which carries the NVIDIA driver). Found by name, never hard-coded ids,
    /// so every region works.
    static func defaultImage(gpu: Bool, aws: AWSClient) throws -> String {
        let pattern = gpu ? "al2023-ami-ecs-gpu-hvm-2023.*-x86_64-ebs" : "al2023-ami-2023.*-kernel-6.1-x86_64"
        let images = try aws.describeImages(owners: ["amazon"], filters: [
            EC2Filter("name", pattern), EC2Filter("architecture", "x86_64"), EC2Filter("state", "available"),
        ])
        // Newest first: by creation date, else by the date in the name.
        guard let newest = images.max(by: { ($0.creationDate ?? "", $0.name ?? "") < ($1.creationDate ?? "", $1.name ?? "") }) else {
            throw StepFailure("no \(gpu ? "GPU " : "")Amazon Linux 2023 image found in \(aws.region) (name \(pattern)); set \"image\" in the spec")
        }
        return newest.imageId
    }

    /// Boot scripts (VMUserData): no secret; the inputs are the scheduler's private address and
    /// the ARN of the secret with the cluster's TLS keys, which the script reads at boot.
    /// The scheduler's boot script: Docker runs the cluster's image (VMUserData).
    static func schedulerUserData(cluster: Cluster, tlsSecret: String) -> String {
        VMUserData.script(.init(role: "scheduler", clusterID: cluster.id.uuidString.lowercased(), image: cluster.daskImage,
                                command: DaskTLS.command(.scheduler, DaskScheduler.command(spec: cluster.spec)), gpu: false,
                                secret: .init(arn: tlsSecret, variable: DaskTLS.variable)))
    }

    /// A worker's boot script, the worker named by its instance id.
    static func workerUserData(scheduler: String, cluster: Cluster, tlsSecret: String) -> String {
        VMUserData.script(.init(role: "worker", clusterID: cluster.id.uuidString.lowercased(), image: cluster.workerDaskImage,
                                command: DaskTLS.command(.worker, DaskWorker.command(scheduler: scheduler, name: VMUserData.instanceID, spec: cluster.spec)),
                                gpu: cluster.spec.workerGpus > 0, secret: .init(arn: tlsSecret, variable: DaskTLS.variable)))
    }
}
