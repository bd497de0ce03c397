import AWS
import Foundation
import Postgres
@testable import Provisioning
import Queue
import Testing
import TestSupport

/// The orphan sweep (`berth sweep`, docs/operations.md#orphan-sweep): what it lists and deletes,
/// and what it never touches.
@Suite struct SweepTests {
    /// A security group, a task definition and a running task planted with Berth's tags for a
    /// cluster id Berth does not know are found, then deleted with --apply (a second run finds
    /// nothing); an untagged group, another tenant's group and a live cluster's resources are
    /// never listed nor touched.
    @Test func aSweepRemovesPlantedOrphansAndNothingElse() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let other = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let live = try h.create(tenant, "live", spec: #"{"workers": 1}"#)
        let ready = try h.waitFor(live, .ready, worker: worker)
        worker.signal(SIGKILL)  // nothing else runs while the sweep looks
        // The planting below is the test's own setup: no lost answers (a re-sent create would plant twice).
        try h.realism(["lost_answers": ["rate": 0]])
        let liveBefore = try h.leftovers(of: ready)

        // What a crash in a bad place could leave: resources tagged for a cluster Berth never recorded.
        let aws = h.aws()
        let ghost = UUID()
        let ghostTags = Tags(tenantId: tenant.id, clusterId: ghost)
        let liveGroup = try #require(try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, live.uuidString.lowercased())]).first)
        let vpc = try #require(liveGroup.vpcId)
        let subnet = try #require(try aws.describeSubnets(filters: [EC2Filter("vpc-id", vpc)]).first).subnetId
        let leaked = try aws.createSecurityGroup(name: "berth-\(ghost.uuidString.lowercased())", description: "leaked", vpcId: vpc,
                                                 tags: ghostTags.tags(name: "berth-\(ghost.uuidString.lowercased())"))
        let untagged = try aws.createSecurityGroup(name: "not-berth-\(UUID().uuidString.prefix(8))", description: "someone else's", vpcId: vpc)
        let othersGroup = try aws.createSecurityGroup(name: "berth-other-\(UUID().uuidString.prefix(8))", description: "another tenant's",
                                                      vpcId: vpc, tags: Tags(tenantId: other.id, clusterId: UUID()).tags(name: "other"))
        let template = try aws.describeTaskDefinition(ECSNames.taskFamily(cluster: live, role: "worker"))
        let definition = try aws.registerTaskDefinition(RegisterTaskDefinitionRequest(
            family: ECSNames.taskFamily(cluster: ghost, role: "worker"), containers: template.containerDefinitions ?? [],
            cpu: Int(template.cpu ?? "1024") ?? 1024, memoryMiB: Int(template.memory ?? "2048") ?? 2048, tags: ghostTags.tags(name: "leaked")))
        let ecsCluster = Names.ecsCluster(tenant: tenant.name)
        let started = try aws.runTask(RunTaskRequest(
            cluster: ecsCluster, taskDefinition: definition.taskDefinitionArn, launchType: "FARGATE",
            networkConfiguration: NetworkConfiguration(subnets: [subnet], securityGroups: [leaked], assignPublicIp: false),
            startedBy: ECSNames.startedBy(cluster: ghost), tags: ghostTags.tags(name: "leaked")))
        let task = try #require(started.tasks.first).taskArn

        // EC2 is eventually consistent (and so is the emulator): wait until the new group is seen by id.
        try poll(timeout: 30, "the planted group to be visible") { (try? aws.describeSecurityGroups(ids: [leaked]))?.count == 1 }

        // The dry run lists exactly the three, deletes nothing.
        let dry = try h.berth(["sweep", "--tenant", tenant.name, "--region", "us-east-2", "--json"])
        #expect(dry.status == 0, "\(dry.output)")
        let found = try Self.orphanIds(dry.output)
        #expect(Set(found) == [leaked, task, definition.taskDefinitionArn], "\(dry.output)")
        #expect(try aws.describeSecurityGroups(ids: [leaked]).count == 1)
        let table = try h.berth(["sweep", "--tenant", tenant.name, "--region", "us-east-2"])
        #expect(table.output.contains("would delete") && table.output.contains("is unknown to Berth") && table.output.contains("dry run"), "\(table.output)")

        // --apply deletes them, the task before its security group; the group may still be in use
        // by the stopping task's network interface (DependencyViolation), and then goes in a
        // later run: sweeping again is safe, and ends with nothing left to do.
        let applied = try h.berth(["sweep", "--tenant", tenant.name, "--region", "us-east-2", "--apply", "--json"])
        #expect(applied.status == 0, "\(applied.output)")
        let outcomes = try Self.outcomes(applied.output)
        #expect(outcomes[task] == "deleted" && outcomes[definition.taskDefinitionArn] == "deleted", "\(applied.output)")
        #expect(["deleted", "in use"].contains(outcomes[leaked] ?? ""), "\(applied.output)")
        let stopped = try aws.describeTasks(cluster: ecsCluster, tasks: [task]).tasks.first
        #expect(stopped?.lastStatus == "STOPPED" || stopped?.desiredStatus == "STOPPED", "\(String(describing: stopped))")
        #expect(try aws.describeTaskDefinition(definition.taskDefinitionArn).status == "INACTIVE")
        var last = ""
        try poll(timeout: 60, every: 1, "a sweep with nothing left to do (last: \(last))") {
            let again = try h.berth(["sweep", "--tenant", tenant.name, "--region", "us-east-2", "--apply"])
            last = again.output
            return again.status == 0 && again.output.contains("no orphans")
        }
        #expect(try aws.describeSecurityGroups(filters: [EC2Filter("group-id", leaked)]).isEmpty)
        #expect(try h.count("select count(*) as n from berth.events where tenant = $1 and type = 'sweep.deleted'", [tenant.name]) == 3)

        // Never touched: the untagged group, the other tenant's, the live cluster.
        #expect(try aws.describeSecurityGroups(filters: [EC2Filter("group-id", untagged)]).count == 1)
        #expect(try aws.describeSecurityGroups(filters: [EC2Filter("group-id", othersGroup)]).count == 1)
        #expect(try h.leftovers(of: ready) == liveBefore)
        #expect(try h.cluster(live).state == .ready)
    }

    /// The nightly sweep: every worker's start asks for the same night's job (one queued job),
    /// `off` withdraws it, and a run sweeps every tenant and asks for the next night.
    @Test func theNightlySweepIsOneJobPerNightAndRuns() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let queue = JobQueue(h.connection)
        let now = Date()
        try SweepJob.schedule(.dryRun, now: now, connection: h.connection)
        try SweepJob.schedule(.dryRun, now: now, connection: h.connection)  // a second worker starting
        let queued = try queue.list(state: .queued, kind: SweepJob.kind)
        #expect(queued.count == 1)
        #expect(queued.first.map { abs($0.runAt.timeIntervalSince(SweepJob.nextRun(after: now))) < 1 } == true)
        try SweepJob.schedule(.apply, now: now, connection: h.connection)  // the mode changed: the dry run's job is replaced
        #expect(try queue.list(state: .queued, kind: SweepJob.kind).map(\.args.text).map { $0.contains("true") } == [true])
        try SweepJob.schedule(.off, now: now, connection: h.connection)
        #expect(try queue.list(state: .queued, kind: SweepJob.kind).isEmpty)

        // One due now (a dry run): it sweeps the tenant's default region and asks for the next night.
        let id = try #require(try queue.enqueue(.init(kind: SweepJob.kind, args: JSONText(#"{"apply": false}"#))).first)
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        var seen: Job?
        try poll(timeout: 60, "the sweep job to succeed (last: \(seen?.state.rawValue ?? "?") \(seen?.lastError ?? ""))") {
            seen = try queue.get(id: id)
            return seen?.state == .succeeded
        }
        let output = try #require(try queue.get(id: id)?.output?.text)
        let summary = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Int]
        #expect(summary == ["scopes": 1, "orphans": 0, "deleted": 0, "not_swept": 0], "\(output) (tenant \(tenant.name))")
        #expect(try queue.list(state: .queued, kind: SweepJob.kind).count == 1)
        let utc = TimeZone(identifier: "UTC")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        let at = SweepJob.nextRun(after: Date(timeIntervalSince1970: 86_400 * 10 + 3 * 3600))  // exactly 03:00: the next day's
        #expect(at == Date(timeIntervalSince1970: 86_400 * 11 + 3 * 3600) && calendar.component(.hour, from: at) == 3)
    }

    /// Which resources are orphans (pure): unknown or stopped clusters of this tenant only;
    /// untagged task definitions only for this tenant's own stopped clusters; never the
    /// tenant's network; in deletion order.
    @Test func orphansAreThisTenantsResourcesOfUnknownOrStoppedClusters() {
        let me = UUID(), them = UUID(), liveCluster = UUID(), stoppedCluster = UUID(), theirs = UUID(), unknown = UUID()
        func r(_ kind: BerthResource.Kind, _ id: String, tenant: UUID? = me, cluster: UUID?) -> BerthResource {
            BerthResource(kind: kind, id: id, region: "us-east-2", tenantId: tenant, clusterId: cluster, state: "x")
        }
        let known: [UUID: OrphanSweep.KnownCluster] = [
            liveCluster: .init(tenantId: me, state: .ready), stoppedCluster: .init(tenantId: me, state: .stopped),
            theirs: .init(tenantId: them, state: .stopped),
        ]
        let resources = [
            r(.securityGroup, "sg-unknown", cluster: unknown), r(.instance, "i-unknown", cluster: unknown),
            r(.securityGroup, "sg-live", cluster: liveCluster), r(.secret, "secret-stopped", cluster: stoppedCluster),
            r(.taskDefinition, "td-untagged-stopped", tenant: nil, cluster: stoppedCluster),
            r(.taskDefinition, "td-untagged-unknown", tenant: nil, cluster: unknown),
            r(.taskDefinition, "td-untagged-theirs", tenant: nil, cluster: theirs),
            r(.securityGroup, "sg-theirs", cluster: theirs), r(.vpc, "vpc-mine", cluster: nil),
            r(.subnet, "subnet-odd", cluster: unknown),
        ]
        let orphans = OrphanSweep.orphans(resources, tenant: me, known: known)
        #expect(orphans.map(\.resource.id) == ["i-unknown", "sg-unknown", "secret-stopped", "td-untagged-stopped"])
        #expect(orphans.first?.reason.contains("unknown to Berth") == true)
        #expect(TenantInventory.clusterOfFamily("arn:aws:ecs:us-east-2:1:task-definition/berth-\(unknown.uuidString.lowercased())-worker:3") == unknown)
        #expect(TenantInventory.clusterOfFamily("arn:aws:ecs:us-east-2:1:task-definition/web-app:1") == nil)
    }

    /// Each orphan's outcome (by id) in `berth sweep --apply --json` output.
    static func outcomes(_ output: String) throws -> [String: String] {
        guard let start = output.firstIndex(of: "["),
              let scopes = try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [[String: Any]] else { return [:] }
        var found: [String: String] = [:]
        for result in scopes.flatMap({ $0["results"] as? [[String: Any]] ?? [] }) {
            if let id = ((result["orphan"] as? [String: Any])?["resource"] as? [String: Any])?["id"] as? String {
                found[id] = result["outcome"] as? String
            }
        }
        return found
    }

    /// The ids of the orphans in `berth sweep --json` output.
    static func orphanIds(_ output: String) throws -> [String] {
        guard let start = output.firstIndex(of: "["),
              let scopes = try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [[String: Any]] else { return [] }
        return scopes.flatMap { ($0["orphans"] as? [[String: Any]] ?? []).compactMap { ($0["resource"] as? [String: Any])?["id"] as? String } }
    }
}
