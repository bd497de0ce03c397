import AWS
import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// The reconcile (issue 15) against the state-only emulation: one job per tenant and region,
/// workers seen stopped, leaks removed, a security group deleted by hand, the lifetime stop,
/// and crashes at its crash points. The compute emulation's cases (a Spot interruption, a
/// killed scheduler, an idle stop) are in ComputeReconcileTests.
@Suite struct ReconcileTests {
    /// A worker that reconciles every half second.
    static let fast = ["BERTH_RECONCILE_INTERVAL": "0.5"]

    static func activeReconciles(_ h: ProvisioningHarness, _ tenant: Tenant) throws -> Int {
        try h.count("select count(*) as n from berth.jobs where kind = 'cluster.reconcile' and tenant = $1 and state in ('queued', 'running')",
                    [tenant.name])
    }

    static func tasks(_ h: ProvisioningHarness, _ tenant: Tenant, _ id: UUID) throws -> [ECSTask] {
        let aws = h.aws()
        let arns = try aws.listTasks(cluster: "berth-\(tenant.name)", startedBy: id.uuidString.lowercased())
        return arns.isEmpty ? [] : try aws.describeTasks(cluster: "berth-\(tenant.name)", tasks: arns).tasks
    }

    @Test func exactlyOneReconcilePerTenantAndRegionUnderConcurrentCreatesAndItEndsWithTheLastCluster() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let other = try h.tenant()
        let ids = try (0..<4).map { try h.create(tenant, "c\($0)", spec: #"{"workers": 1}"#) }
        let elsewhere = try h.create(tenant, "w", spec: #"{"workers": 0, "region": "us-west-1"}"#)
        let otherId = try h.create(other, "o", spec: #"{"workers": 0}"#)
        let worker = try h.worker(concurrency: 8, extraEnvironment: Self.fast)
        defer { worker.signal(SIGKILL) }
        for id in ids + [elsewhere, otherId] { try h.waitFor(id, .ready, timeout: 120, worker: worker) }
        // One per (tenant, region): the tenant's two regions and the other tenant's one.
        #expect(try h.count("select count(*) as n from berth.jobs where kind = 'cluster.reconcile' and state in ('queued', 'running')") == 3)
        #expect(try Self.activeReconciles(h, tenant) == 2)
        // It runs: passes are counted on its row, without error.
        try poll(timeout: 30, every: 0.1, "two passes over the tenant's clusters in us-east-2") {
            try h.count("select coalesce(max(passes), 0)::int as n from berth.reconcilers where tenant_id = $1 and region = 'us-east-2' and last_error is null",
                        [tenant.id]) >= 2
        }
        // A pass looks at AWS in batched calls: a ListTasks, a DescribeTasks (8 tasks < 100),
        // a DescribeSecurityGroups, whatever the number of clusters.
        #expect(try h.count("select last_aws_calls as n from berth.reconcilers where tenant_id = $1 and region = 'us-east-2'", [tenant.id]) == 3)
        // Deleting the last live cluster in a region ends that region's reconcile.
        for (index, id) in ids.enumerated() {
            _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c\(index)")
            try h.waitFor(id, .stopped, timeout: 60, worker: worker)
        }
        try poll(timeout: 30, every: 0.1, "the us-east-2 reconcile to end") {
            try h.count("""
                select count(*) as n from berth.jobs where kind = 'cluster.reconcile' and tenant = $1 and state in ('queued', 'running')
                   and args ->> 'region' = 'us-east-2'
                """, [tenant.name]) == 0
        }
        #expect(try Self.activeReconciles(h, tenant) == 1)
        // A new cluster there starts it again.
        let again = try h.create(tenant, "again", spec: #"{"workers": 0}"#)
        try h.waitFor(again, .ready, timeout: 60, worker: worker)
        #expect(try Self.activeReconciles(h, tenant) == 2)
    }

    @Test func aStoppedWorkerIsMarkedWithAWSReasonAndALeakedTaskIsRemoved() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try h.worker(extraEnvironment: Self.fast)
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 2}"#)
        try h.waitFor(id, .ready, worker: worker)
        let aws = h.aws()
        let ecs = "berth-\(tenant.name)"
        let tasks = try Self.tasks(h, tenant, id)
        let workers = tasks.filter { $0.taskDefinitionArn?.contains("-worker") == true }
        #expect(workers.count == 2)
        let victim = try #require(workers.first)
        _ = try aws.stopTask(cluster: ecs, task: victim.taskArn, reason: "killed by the test")
        try poll(timeout: 30, every: 0.1, "the reconcile to mark the worker stopped") {
            try h.count("select count(*) as n from berth.cluster_workers where cluster_id = $1 and resource_id = $2 and state = 'stopped'",
                        [id, victim.taskArn]) == 1
        }
        let stopped = try h.events(id).filter { $0.type == "worker.stopped" }
        #expect(stopped.count == 1)
        #expect(stopped.first?.message.contains("killed by the test") == true, "\(stopped)")
        // The worker set's converge replaces it, quoting why.
        try poll(timeout: 30, every: 0.1, "the replacement to be on record") {
            try h.count("select count(*) as n from berth.cluster_workers where cluster_id = $1 and state = 'running' and replaces = $2",
                        [id, victim.taskArn]) == 1
        }
        try poll(timeout: 30, every: 0.1, "worker.replaced") { try h.events(id).contains { $0.type == "worker.replaced" } }
        #expect(try h.count("select count(*) as n from berth.cluster_workers where cluster_id = $1 and state = 'running'", [id]) == 2)
        let shown = try h.berth(["cluster", "show", "c1", "--tenant", tenant.name])
        #expect(shown.output.contains("desired 2, observed 2 running, 1 stopped (last: ") && shown.output.contains("killed by the test)"), "\(shown.output)")

        // A task started by hand with the cluster's startedBy, not in its record.
        let definition = try #require(victim.taskDefinitionArn)
        let group = try #require(try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())]).first)
        let subnet = try #require(try aws.describeSubnets(filters: [EC2Filter("vpc-id", group.vpcId ?? "")]).first)
        let leaked = try #require(try aws.runTask(RunTaskRequest(
            cluster: ecs, taskDefinition: definition, count: 1, launchType: "FARGATE",
            networkConfiguration: NetworkConfiguration(subnets: [subnet.subnetId], securityGroups: [group.groupId], assignPublicIp: true),
            startedBy: id.uuidString.lowercased())).tasks.first)
        try poll(timeout: 30, every: 0.1, "the reconcile to stop the leaked task") {
            try aws.describeTasks(cluster: ecs, tasks: [leaked.taskArn]).tasks.first?.desiredStatus == "STOPPED"
        }
        let leaks = try h.events(id).filter { $0.type == "leak.removed" }
        #expect(leaks.count == 1 && leaks.first?.message.contains(leaked.taskArn) == true, "\(leaks)")
        // The cluster itself stays ready, its scheduler and other worker running.
        #expect(try h.cluster(id).state == .ready)
        let running = try Self.tasks(h, tenant, id).filter { $0.desiredStatus == "RUNNING" }.map(\.taskArn)
        let recorded = try h.connection.query(SQL("test_running_workers", "select resource_id from berth.cluster_workers where cluster_id = $1 and state = 'running'"), [id])
            .map { try $0.decode("resource_id", as: String.self) }
        let scheduler = try #require(tasks.first { $0.taskDefinitionArn?.contains("-scheduler") == true })
        #expect(Set(running) == Set(recorded + [scheduler.taskArn]))
        // `cluster list` shows a degraded cluster (the scale work's converge sets the state).
        try h.connection.execute(SQL("test_degrade", "update berth.clusters set state = 'degraded' where id = $1"), [id])
        let listed = try h.berth(["cluster", "list", "--tenant", tenant.name])
        #expect(listed.output.contains("degraded"), "\(listed.output)")
    }

    @Test func aTerminatedVMWorkerIsMarkedWithItsStateReasonAndReplaced() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try h.worker(extraEnvironment: Self.fast)
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "vm1", spec: #"{"backend": "vm", "workers": 2}"#)
        try h.waitFor(id, .ready, timeout: 90, worker: worker)
        let victim = try #require(try h.connection.queryRow(SQL("test_vm_victim", """
            select resource_id from berth.cluster_workers where cluster_id = $1 and state = 'running' order by resource_id limit 1
            """), [id])?.decode("resource_id", as: String.self))
        _ = try h.aws().terminateInstances(ids: [victim])
        try poll(timeout: 30, every: 0.1, "the replacement to be on record") {
            try h.count("select count(*) as n from berth.cluster_workers where cluster_id = $1 and replaces = $2", [id, victim]) == 1
        }
        let stopped = try #require(try h.events(id).first { $0.type == "worker.stopped" })
        #expect(stopped.message.contains(victim) && stopped.message.contains("instance "), "\(stopped.message)")
        #expect(try h.cluster(id).state == .ready)
        // Two passes later, nothing more happened: the terminated instance is not seen again.
        let passes = try h.count("select passes::int as n from berth.reconcilers where tenant_id = $1", [tenant.id])
        try poll(timeout: 30, every: 0.1, "two more passes") {
            try h.count("select passes::int as n from berth.reconcilers where tenant_id = $1", [tenant.id]) >= passes + 2
        }
        #expect(try h.events(id).filter { $0.type == "worker.stopped" || $0.type == "leak.removed" }.count == 1)
    }

    @Test func aSecurityGroupDeletedByHandPutsTheClusterInErrorAndItIsCleanedUp() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let first = try h.worker(extraEnvironment: Self.fast)
        let id = try h.create(tenant, "c1", spec: #"{"workers": 1}"#)
        try h.waitFor(id, .ready, worker: first)
        // AWS refuses to delete a group in use, so whoever deletes it by hand stops the tasks
        // first; Berth's worker is down meanwhile so that the reconcile sees both at once.
        first.signal(SIGKILL)
        let aws = h.aws()
        let ecs = "berth-\(tenant.name)"
        for task in try Self.tasks(h, tenant, id) { _ = try aws.stopTask(cluster: ecs, task: task.taskArn, reason: "by hand") }
        let group = try #require(try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())]).first)
        try poll(timeout: 60, every: 0.2, "the group to be deletable") { () throws -> Bool in
            do { try aws.deleteSecurityGroup(id: group.groupId); return true } catch let error as AWSError where error.code == "DependencyViolation" { return false }
        }
        let second = try h.worker(extraEnvironment: Self.fast)
        defer { second.signal(SIGKILL) }
        // (waitFor stops at `ready`, where this cluster starts.)
        let failed = try poll(timeout: 60, every: 0.1, "the cluster to be in error", until: { $0.state == .error }) { try h.cluster(id) }
        #expect(failed.error?.contains(group.groupId) == true && failed.error?.contains("deleted outside Berth") == true, "\(failed.error ?? "")")
        #expect(try h.events(id).contains { $0.type == "drift.detected" && $0.message.contains(group.groupId) })
        try poll(timeout: 60, every: 0.2, "the cleanup to finish") { try h.cluster(id).deleteJob.map { job in
            try h.count("select count(*) as n from berth.jobs where id = $1 and state = 'succeeded'", [job]) == 1 } ?? false }
        #expect(try h.cluster(id).state == .error)
        #expect(try h.leftovers(of: h.cluster(id)).isEmpty)
    }

    @Test func aWorkerTaskDefinitionDeregisteredByHandIsRegisteredAgainBeforeAReplacement() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try h.worker(extraEnvironment: Self.fast)
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 1}"#)
        try h.waitFor(id, .ready, worker: worker)
        let aws = h.aws()
        let victim = try #require(try Self.tasks(h, tenant, id).first { $0.taskDefinitionArn?.contains("-worker") == true })
        let definition = try #require(victim.taskDefinitionArn)
        try aws.deregisterTaskDefinition(definition)
        _ = try aws.stopTask(cluster: "berth-\(tenant.name)", task: victim.taskArn, reason: "killed by the test")
        try poll(timeout: 30, every: 0.1, "drift.repaired") { try h.events(id).contains { $0.type == "drift.repaired" } }
        let repaired = try #require(try h.events(id).first { $0.type == "drift.repaired" })
        #expect(repaired.message.contains(definition), "\(repaired.message)")
        // The replacement runs from the new revision, which is ACTIVE.
        let replacement = try poll(timeout: 30, every: 0.1, "the replacement", until: { $0 != nil }) { () throws -> String? in
            try h.connection.queryRow(SQL("test_replacement", "select resource_id from berth.cluster_workers where replaces = $1"), [victim.taskArn])?
                .decode("resource_id", as: String.self)
        }!
        let task = try #require(try aws.describeTasks(cluster: "berth-\(tenant.name)", tasks: [replacement]).tasks.first)
        #expect(task.taskDefinitionArn != definition && task.taskDefinitionArn?.contains("-worker:") == true, "\(task.taskDefinitionArn ?? "")")
        #expect(try aws.describeTaskDefinition(try #require(task.taskDefinitionArn)).status == "ACTIVE")
        #expect(try h.events(id).filter { $0.type == "drift.repaired" }.count == 1)
        // A delete deregisters both revisions: nothing left.
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        let stopped = try h.waitFor(id, .stopped, timeout: 60, worker: worker)
        #expect(try h.leftovers(of: stopped).isEmpty)
    }

    @Test func aClusterPastItsMaxLifetimeStopsWithTheReason() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try h.worker(extraEnvironment: Self.fast)
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "short", spec: #"{"workers": 1, "max_lifetime": "5s"}"#)
        try h.waitFor(id, .ready, worker: worker)
        let stopped = try h.waitFor(id, .stopped, timeout: 60, worker: worker)
        #expect(stopped.stopReason == "lifetime 5s reached")
        #expect(stopped.error == nil)
        #expect(try h.events(id).filter { $0.type == "cluster.lifetime" }.count == 1)
        #expect(try h.leftovers(of: stopped).isEmpty)
        let shown = try h.berth(["cluster", "show", "short", "--tenant", tenant.name])
        #expect(shown.output.contains("lifetime 5s reached"), "\(shown.output)")
    }

    /// SIGKILL at each of the reconcile's crash points while it handles a stopped worker: the
    /// next worker finishes the action once (one row change, one event).
    @Test(arguments: ["reconcile.worker_stopped:after_call", "reconcile.worker_stopped:after_checkpoint"])
    func aCrashAtAReconcileCrashPointNeitherLosesNorRepeatsTheAction(point: String) throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let id = try h.create(tenant, "c1", spec: #"{"workers": 2}"#)
        let crashing = try h.worker(extraEnvironment: Self.fast.merging(["BERTH_TEST_CRASH_AT": point]) { $1 })
        try h.waitFor(id, .ready, worker: crashing)
        let victim = try #require(try Self.tasks(h, tenant, id).first { $0.taskDefinitionArn?.contains("-worker") == true })
        _ = try h.aws().stopTask(cluster: "berth-\(tenant.name)", task: victim.taskArn, reason: "killed by the test")
        try crashing.waitForExit(timeout: 60)
        #expect(crashing.log.contains("BERTH_TEST_CRASH_AT=\(point)"), "\(crashing.log.suffix(2000))")
        let next = try h.worker(extraEnvironment: Self.fast)
        defer { next.signal(SIGKILL) }
        try poll(timeout: 30, every: 0.1, "the worker's row to be stopped") {
            try h.count("select count(*) as n from berth.cluster_workers where resource_id = $1 and state = 'stopped'", [victim.taskArn]) == 1
        }
        // Two more passes, then exactly one event.
        let passes = try h.count("select passes::int as n from berth.reconcilers where tenant_id = $1", [tenant.id])
        try poll(timeout: 30, every: 0.1, "two more passes") {
            try h.count("select passes::int as n from berth.reconcilers where tenant_id = $1", [tenant.id]) >= passes + 2
        }
        #expect(try h.events(id).filter { $0.type == "worker.stopped" }.count == 1)
        // One replacement, not two; none lost.
        try poll(timeout: 30, every: 0.1, "the replacement") {
            try h.count("select count(*) as n from berth.cluster_workers where cluster_id = $1 and state = 'running'", [id]) == 2
        }
        #expect(try h.count("select count(*) as n from berth.cluster_workers where replaces = $1", [victim.taskArn]) == 1)
        #expect(try Self.tasks(h, tenant, id).filter { $0.desiredStatus == "RUNNING" }.count == 3)
        #expect(try Self.activeReconciles(h, tenant) == 1)
    }

    @Test func idleTimeoutAndMaxLifetimeAreCheckedAndStored() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let store = ClusterStore(h.connection)
        for (value, key) in [("\"20 minutes\"", "idle_timeout"), ("\"-5m\"", "max_lifetime"), ("20", "idle_timeout"), ("\"1y\"", "max_lifetime")] {
            do {
                _ = try store.create(tenant: tenant.name, name: "bad", spec: JSONText(#"{"\#(key)": \#(value)}"#))
                Issue.record("\(key) \(value) was accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == "22023")
                #expect(error.message.contains(key) && error.message.contains(value.replacingOccurrences(of: "\"", with: "")), "\(error.message)")
                #expect(error.message.contains("like 10s, 20m or 8h"), "\(error.message)")
            }
        }
        let defaults = try h.cluster(try h.create(tenant, "d"))
        #expect(defaults.spec.idleTimeout == "20m" && defaults.spec.maxLifetime == nil)
        let off = try h.cluster(try h.create(tenant, "off", spec: #"{"idle_timeout": "0", "max_lifetime": "8h"}"#))
        #expect(off.spec.idleTimeout == "0" && off.spec.idleTimeoutSeconds == nil && off.spec.maxLifetimeSeconds == 8 * 3600)
    }
}
