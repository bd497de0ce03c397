import AWS
import Foundation

/// A pass's look at AWS for one tenant in one region, in batched calls whatever the number of
/// Dask clusters: ListTasks over the tenant's ECS cluster and one DescribeTasks per 100 tasks;
/// one DescribeInstances per page of the tenant's tagged instances; one DescribeSecurityGroups
/// per page of its tagged groups. `calls` counts them (the figures in `berth.reconcilers`).
struct ReconcileObserver {
    let aws: AWSClient
    let tenantId: UUID
    private(set) var calls = 0

    init(aws: AWSClient, tenantId: UUID) {
        self.aws = aws
        self.tenantId = tenantId
    }

    /// The tasks of ECS cluster `ecsCluster`: every running one (for leaks) and each of
    /// `recorded`, by ARN. A recorded task ECS no longer knows is left out (it is gone).
    mutating func tasks(ecsCluster: String, recorded: [String]) throws -> [String: ObservedCompute] {
        let listed = try aws.listTasks(cluster: ecsCluster, desiredStatus: "RUNNING")
        calls += max(1, (listed.count + 99) / 100)
        var seen = Set<String>()
        let all = (recorded + listed).filter { seen.insert($0).inserted }
        var found: [String: ObservedCompute] = [:]
        for chunk in all.chunks(of: ECSClusterPlan.describeTasksBatch) {
            calls += 1
            for task in try aws.describeTasks(cluster: ecsCluster, tasks: chunk).tasks {
                found[task.taskArn] = Self.observed(task)
            }
        }
        return found
    }

    static func observed(_ task: ECSTask) -> ObservedCompute {
        let stopped = task.lastStatus == "STOPPED" || task.desiredStatus == "STOPPED"
        let reason = [task.stopCode, task.stoppedReason].compactMap { $0 }.joined(separator: ": ")
        // The Dask container is the task's only one; its exit code is there once it stopped.
        let exitCode = task.lastStatus == "STOPPED" ? task.containers?.lazy.compactMap(\.exitCode).first : nil
        return ObservedCompute(id: task.taskArn, cluster: task.startedBy.flatMap(UUID.init(uuidString:)), stopped: stopped,
                               reason: reason.isEmpty ? nil : reason, exitCode: exitCode)
    }

    /// The tenant's instances in the region (tagged `berth:tenant`), by id, terminated ones too
    /// (EC2 lists them for about an hour).
    mutating func instances() throws -> [String: ObservedCompute] {
        let instances = try aws.describeInstances(filters: [EC2Filter("tag:\(Tags.tenant)", tenantId.uuidString.lowercased())])
        calls += max(1, (instances.count + 999) / 1000)
        var found: [String: ObservedCompute] = [:]
        for instance in instances {
            let stopped = ["shutting-down", "terminated", "stopping", "stopped"].contains(instance.state)
            found[instance.instanceId] = ObservedCompute(
                id: instance.instanceId, cluster: instance.tags[tag: Tags.cluster].flatMap(UUID.init(uuidString:)), stopped: stopped,
                reason: stopped ? "instance \(instance.state)\(instance.stateReason.map { ": \($0)" } ?? "")" : nil, exitCode: nil)
        }
        return found
    }

    /// A stopped VM scheduler's exit status, from the exit line its boot script writes to the
    /// console (`VMUserData`): read once, when the pass finds the scheduler stopped.
    mutating func consoleExitStatus(instance: String) -> Int? {
        calls += 1
        let output = try? aws.getConsoleOutput(instanceId: instance)
        return VMConsole(output: output ?? nil, role: "scheduler").exitStatus
    }

    /// The ids of the tenant's security groups in the region.
    mutating func securityGroups() throws -> Set<String> {
        let groups = try aws.describeSecurityGroups(filters: [EC2Filter("tag:\(Tags.tenant)", tenantId.uuidString.lowercased())])
        calls += max(1, (groups.count + 999) / 1000)
        return Set(groups.map(\.groupId))
    }
}
