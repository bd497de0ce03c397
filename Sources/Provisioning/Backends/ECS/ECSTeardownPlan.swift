import AWS
import Foundation

/// Deletes an ECS cluster's resources in dependency order: stop its tasks, wait until they
/// have stopped (their network interfaces go with them; the tasks are those ECS lists for the
/// cluster and the workers on record), deregister its task definitions,
/// delete its security group. Everything is found by name, `startedBy` or tag rather than
/// trusted from checkpoints, so a delete after any crash finds what exists. "Not found"
/// counts as done.
enum ECSTeardownPlan {
    static func steps(cluster: Cluster) -> [Step] {
        let startedBy = ECSNames.startedBy(cluster: cluster.id)
        return [
            ClusterTeardown.settleStep,
            Step("delete.stop_tasks", .check) { ctx in
                guard let ecsCluster = ctx.outputs["ecs_cluster"] else { return .done([:]) }
                let listed = try tolerate([.notFound], { try ctx.aws.listTasks(cluster: ecsCluster, startedBy: startedBy) }) ?? []
                // And every worker on record (a task launched moments ago may not be listed yet).
                let recorded = try ctx.job.withConnection { try WorkerSet($0).workers(of: cluster.id) }
                    .filter { $0.state != .stopped }.map(\.resourceId)
                let arns = listed + recorded.filter { !listed.contains($0) }
                for arn in arns {
                    _ = try tolerate([.notFound]) {
                        try ctx.aws.stopTask(cluster: ecsCluster, task: arn, reason: "Berth: cluster \(cluster.name) deleted")
                    }
                }
                return .done(["stopped_task_arns": arns.joined(separator: ",")])
            },
            Step("delete.tasks_stopped", .check) { ctx in
                // The tasks the previous step stopped (no new ones start: this job holds the cluster).
                guard let ecsCluster = ctx.outputs["ecs_cluster"] else { return .done([:]) }
                let arns = ctx.list("stopped_task_arns")
                var pending = 0
                for chunk in arns.chunks(of: 100) {
                    pending += try ctx.aws.describeTasks(cluster: ecsCluster, tasks: chunk).tasks.filter { $0.lastStatus != "STOPPED" }.count
                }
                if pending > 0 { return .wait(seconds: ctx.pollInterval, reason: "\(pending) tasks to stop") }
                return .done([:])
            },
            Step("delete.task_definitions", .check) { ctx in
                var deregistered = 0
                for role in ["scheduler", "worker"] {
                    let family = ECSNames.taskFamily(cluster: cluster.id, role: role)
                    // A describe by family gives the latest ACTIVE revision: deregister until none
                    // is left (a partitioned worker may have registered a second one).
                    for _ in 0..<50 {
                        guard let definition = try tolerate([.notFound, .invalidInput], { try ctx.aws.describeTaskDefinition(family) }),
                              definition.status != "INACTIVE" else { break }
                        try ctx.aws.deregisterTaskDefinition(definition.taskDefinitionArn)
                        deregistered += 1
                    }
                }
                return .done(["task_definitions_deregistered": "\(deregistered)"])
            },
            ClusterTLSSecret.deleteStep(cluster: cluster),
            ClusterSecurityGroup.deleteStep(cluster: cluster),
        ]
    }
}
