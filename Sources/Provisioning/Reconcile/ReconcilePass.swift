import AWS
import Foundation
import Postgres
import Queue

/// One reconcile pass for a tenant in a region: read the watched clusters and their records,
/// look at AWS in batched calls (`ReconcileObserver`), decide (`ReconcileDecisions`), act.
/// Every action is safe to repeat after a crash: the database writes are conditional on the
/// row still saying what the pass read (a worker still `running`, a cluster still live) and
/// commit with their event; removing a leak writes its event once before StopTask or
/// TerminateInstances, which AWS treats as done when repeated.
struct ReconcilePass {
    let context: JobContext
    let tenantId: UUID
    let region: String
    let settings: ProvisioningSettings
    private(set) var awsCalls = 0
    /// Time spent in the database (reads and actions), for `berth.reconcilers.last_db_ms`.
    private let dbClock = DBClock()

    /// Milliseconds the pass spent in the database so far.
    var dbMilliseconds: Double { dbClock.total * 1000 }

    final class DBClock: @unchecked Sendable {
        var total = 0.0
    }

    /// `context.withConnection`, timed.
    private func db<T>(_ body: (Connection) throws -> T) throws -> T {
        let started = Date()
        defer { dbClock.total += Date().timeIntervalSince(started) }
        return try context.withConnection(body)
    }

    init(context: JobContext, tenantId: UUID, region: String, settings: ProvisioningSettings) {
        self.context = context
        self.tenantId = tenantId
        self.region = region
        self.settings = settings
    }

    mutating func run() throws {
        let records = try loadRecords()
        guard !records.isEmpty else { return }
        let access = try db { connection in
            try TenantAccess.open(tenantId: tenantId, region: region, store: TenantStore(connection), settings: settings)
        }
        var observer = ReconcileObserver(aws: access.aws, tenantId: tenantId)
        var calls = 0  // beside the observer's: StopTask or TerminateInstances of a leak, a task definition's repair
        defer { awsCalls = observer.calls + calls }
        var observed: [String: ObservedCompute] = [:]
        let ecs = records.filter { $0.cluster.backend == .ecs }
        if !ecs.isEmpty {
            let recorded = ecs.flatMap { [$0.scheduler].compactMap { $0 } + $0.workers }
            observed.merge(try observer.tasks(ecsCluster: Names.ecsCluster(tenant: access.tenant.name), recorded: recorded)) { $1 }
        }
        if records.contains(where: { $0.cluster.backend == .vm }) {
            observed.merge(try observer.instances()) { $1 }
        }
        let groups = try observer.securityGroups()
        let claiming = Dictionary(grouping: observed.values.filter { $0.cluster != nil }, by: { $0.cluster! })
        let now = Date()
        for record in records {
            var seen = observed
            // A VM scheduler that went down says on its console how Dask exited.
            if record.cluster.backend == .vm, let scheduler = record.scheduler, var instance = seen[scheduler], instance.stopped {
                instance.exitCode = observer.consoleExitStatus(instance: scheduler)
                seen[scheduler] = instance
            }
            let actions = ReconcileDecisions.actions(for: record, observed: seen, claiming: claiming[record.cluster.id] ?? [],
                                                     securityGroups: groups, now: now)
            // A replacement launches from the worker task definition: one deregistered outside
            // Berth is registered again first (AWS runs no new task from an INACTIVE one).
            if record.cluster.backend == .ecs, actions.contains(where: { if case .workerStopped = $0 { true } else { false } }),
               let definition = record.workerTaskDefinition {
                calls += 1
                if try !repairWorkerTaskDefinition(definition, of: record.cluster, aws: access.aws, calls: &calls) { continue }
            }
            for action in actions {
                try context.checkpoint()
                if case .leak = action { calls += 1 }
                try perform(action, on: record, aws: access.aws)
            }
        }
    }

    /// The watched clusters with their records; workers recorded only in the create plan's
    /// outputs (a cluster made before `berth.cluster_workers`) get their rows first.
    private func loadRecords() throws -> [ReconcileRecord] {
        try db { connection in
            var records: [ReconcileRecord] = []
            for row in try connection.query(ProvisioningSQL.reconcileClusters, [tenantId, region]) {
                let cluster = try Cluster(row: row)
                let record = decodeOutputs(try row.decode("record", as: String.self))
                var workers: [String] = try row.decode("workers")
                var known = Set(try row.decode("known_workers", as: [String].self))
                if known.isEmpty {
                    let fromPlan = (record["worker_task_arns"] ?? record["worker_instance_ids"] ?? "")
                        .split(separator: ",").map(String.init)
                    if !fromPlan.isEmpty {
                        try connection.execute(ProvisioningSQL.backfillWorkers, [cluster.id, fromPlan])
                        workers = fromPlan
                        known = Set(fromPlan)
                    }
                }
                records.append(ReconcileRecord(
                    cluster: cluster, scheduler: record["scheduler_task_arn"] ?? record["scheduler_instance_id"], workers: workers,
                    knownWorkers: known, securityGroup: record["security_group_id"], workerTaskDefinition: record["worker_task_definition"],
                    busy: try row.decode("busy")))
            }
            return records
        }
    }

    private func perform(_ action: ReconcileAction, on record: ReconcileRecord, aws: AWSClient) throws {
        let cluster = record.cluster
        switch action {
        case .workerStopped(let resource, let reason):
            CrashPoint.hit(.afterCall, step: "reconcile.worker_stopped", settings: settings)
            try db { connection in
                _ = try connection.queryRow(ProvisioningSQL.reconcileWorkerStopped, [cluster.id, resource, reason, context.job.id])
            }
            CrashPoint.hit(.afterCheckpoint, step: "reconcile.worker_stopped", settings: settings)
        case .schedulerStopped(let reason):
            try stop(cluster, type: "scheduler.stopped", reason: reason, error: true)
        case .idle(let timeout):
            try stop(cluster, type: "cluster.idle", reason: "idle for \(timeout)", error: false)
        case .lifetime(let limit):
            try stop(cluster, type: "cluster.lifetime", reason: "lifetime \(limit) reached", error: false)
        case .securityGroupMissing(let id):
            try stop(cluster, type: "drift.detected",
                     reason: "the cluster's security group \(id) was deleted outside Berth; its tasks or instances cannot be reached as before, so the cluster is cleaned up (create it again)",
                     error: true, data: ["resource": id])
        case .leak(let resource):
            try removeLeak(resource, of: cluster, aws: aws)
        }
    }

    private func stop(_ cluster: Cluster, type: String, reason: String, error: Bool, data: StepOutputs = [:]) throws {
        CrashPoint.hit(.afterCall, step: "reconcile.stop", settings: settings)
        try db { connection in
            _ = try connection.queryRow(ProvisioningSQL.reconcileStopCluster, [
                cluster.id, context.job.id, type, reason, error, data.isEmpty ? nil : encodeOutputs(data),
            ])
        }
    }

    /// Whether the cluster's worker task definition can launch workers, after registering it
    /// again when it was deregistered outside Berth (the family's newest ACTIVE revision is
    /// adopted when an earlier pass registered one and crashed before recording it). False when
    /// it is gone for good: then the cluster is in `error`, saying what is missing.
    private func repairWorkerTaskDefinition(_ arn: String, of cluster: Cluster, aws: AWSClient, calls: inout Int) throws -> Bool {
        let current = try tolerate([.notFound, .invalidInput]) { try aws.describeTaskDefinition(arn) }
        if current?.status == "ACTIVE" { return true }
        guard let old = current, let containers = old.containerDefinitions, let cpu = old.cpu.flatMap(Int.init),
              let memory = old.memory.flatMap(Int.init) else {
            try stop(cluster, type: "drift.detected",
                     reason: "the worker task definition \(arn) was deleted outside Berth and cannot be registered again; the cluster is cleaned up (create it again)",
                     error: true, data: ["resource": arn])
            return false
        }
        calls += 1
        let family = ECSNames.taskFamily(cluster: cluster.id, role: "worker")
        var replacement = try tolerate([.notFound, .invalidInput]) { try aws.describeTaskDefinition(family) }
        if replacement?.status != "ACTIVE" {
            calls += 1
            CrashPoint.hit(.beforeIntent, step: "reconcile.task_definition", settings: settings)
            replacement = try aws.registerTaskDefinition(RegisterTaskDefinitionRequest(
                family: family, containers: containers, cpu: cpu, memoryMiB: memory, executionRoleArn: old.executionRoleArn,
                taskRoleArn: old.taskRoleArn,
                tags: Tags(tenantId: cluster.tenantId, clusterId: cluster.id, step: "task_definitions").tags(name: family)))
        }
        guard let new = replacement?.taskDefinitionArn else { return false }
        CrashPoint.hit(.afterCall, step: "reconcile.task_definition", settings: settings)
        _ = try db { connection in
            try connection.queryRow(ProvisioningSQL.replaceWorkerTaskDefinition, [
                cluster.id, arn, new, context.job.id,
                "the worker task definition \(arn) was deregistered outside Berth; registered it again as \(new)",
            ])
        }
        return true
    }

    /// A running task or instance that names the cluster but is not in its record. Read again
    /// right before: a scale or a replacement that launched it may have recorded it since the
    /// pass read the records.
    private func removeLeak(_ resource: String, of cluster: Cluster, aws: AWSClient) throws {
        let leak = try db { connection -> Bool in
            guard try connection.queryRow(ProvisioningSQL.leakStillUnrecorded, [cluster.id, resource])?.decode("leak", as: Bool.self) == true else {
                return false
            }
            let kind = cluster.backend == .ecs ? "task" : "instance"
            _ = try connection.queryRow(ProvisioningSQL.reconcileEventOnce, [
                cluster.id, context.job.id, "leak.removed", resource,
                "removing \(kind) \(resource): it carries the cluster's \(cluster.backend == .ecs ? "startedBy" : "tags") but is not in its record",
            ])
            return true
        }
        guard leak else { return }
        CrashPoint.hit(.afterIntent, step: "reconcile.leak", settings: settings)
        switch cluster.backend {
        case .ecs:
            _ = try tolerate([.notFound]) {
                try aws.stopTask(cluster: Names.ecsCluster(tenant: cluster.tenant), task: resource,
                                 reason: "berth: not in the record of cluster \(cluster.name) (a leak)")
            }
        case .vm:
            _ = try tolerate([.notFound]) { try aws.terminateInstances(ids: [resource]) }
        }
    }
}
