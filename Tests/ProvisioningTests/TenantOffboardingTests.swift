import AWS
import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// Offboarding (issue 16, item 1; migration 0015): `berth.delete_tenant` and `berth tenant
/// delete`. The SQL API's rules without a worker; then a managed tenant with an ECS cluster and
/// a VM cluster in two regions offboarded with `--wait`, next to a tenant that keeps the shared
/// network; the crash-safety cases are in `TenantOffboardingCrashTests`.
@Suite struct TenantOffboardingTests {
    static let deleteTenant = SQL("test_delete_tenant", "select berth.delete_tenant($1) as job", redactsParameters: false)
    static let createCluster = SQL("test_offboard_create", "select berth.create_cluster($1, $2, $3::jsonb) as id", redactsParameters: false)

    /// What delete_tenant's caller sees: the error it raised (it must raise).
    static func refusal(_ body: () throws -> Void) throws -> PostgresError {
        do { try body() } catch let error as PostgresError { return error }
        throw SetupError("not refused")
    }

    @Test func deleteTenantRefusesNewClustersDeletesTheLiveOnesAndReturnsTheSameJob() throws {
        let db = try TestDatabase.create()
        let admin = try db.connect()
        let store = TenantStore(admin)
        try store.create(TenantStore.NewTenant(name: "acme"))
        try store.create(TenantStore.NewTenant(name: "other"))
        let clusters = ClusterStore(admin)
        let one = try clusters.create(tenant: "acme", name: "one", spec: JSONText("{}"))
        let two = try clusters.create(tenant: "acme", name: "two", spec: JSONText(#"{"backend": "vm"}"#))
        let others = try clusters.create(tenant: "other", name: "one", spec: JSONText("{}"))

        let job: Int64 = try admin.queryRow(Self.deleteTenant, ["acme"])!.decode("job")
        let tenant = try #require(try store.get(name: "acme"))
        #expect(tenant.state == .deleting && tenant.deleteJob == job)
        // Every live cluster is deleted as by delete_cluster; the other tenant's is not touched.
        for id in [one, two] {
            let cluster = try #require(try clusters.get(id: id))
            #expect(cluster.desired == .deleted && cluster.state == .stopping, "\(cluster.name)")
        }
        #expect(try #require(try clusters.get(id: others)).desired == .running)
        #expect(try admin.queryRow(SQL("test_offboard_job", "select kind, state from berth.jobs where id = $1"), [job])!
            .decode("kind", as: String.self) == "tenant.delete")

        // From the call on: no new cluster (nothing written), and a second call returns the same job.
        let refused = try Self.refusal { _ = try admin.queryRow(Self.createCluster, ["acme", "three", JSONText("{}")]) }
        #expect(refused.sqlState == "22023")
        #expect(refused.message == "tenant 'acme' is being deleted (berth tenant delete, job \(job)): it takes no new clusters and no scale")
        #expect(try admin.queryRow(Self.deleteTenant, ["acme"])!.decode("job", as: Int64.self) == job)
        #expect(try admin.queryRow(SQL("test_offboard_jobs", "select count(*) as n from berth.jobs where kind = 'tenant.delete'"))!
            .decode("n", as: Int.self) == 1)
        // A scale (a live cluster's spec changing) is refused by the same trigger.
        try admin.execute(SQL("test_offboard_revive", "update berth.clusters set desired = 'running', state = 'ready' where id = $1"), [one])
        let scale = try Self.refusal {
            try admin.execute(SQL("test_offboard_scale", "update berth.clusters set spec = spec || '{\"workers\": 5}' where id = $1"), [one])
        }
        #expect(scale.sqlState == "22023" && scale.message.contains("no new clusters and no scale"))
        // The other tenant is unaffected.
        _ = try clusters.create(tenant: "other", name: "two", spec: JSONText("{}"))

        let unknown = try Self.refusal { _ = try admin.queryRow(Self.deleteTenant, ["nobody"]) }
        #expect(unknown.sqlState == "22023" && unknown.message == "unknown tenant 'nobody'")
        let event = try #require(try EventLog(admin).last(50, filter: .init(tenant: "acme")).first { $0.type == "tenant.deleting" })
        #expect(event.message.contains("2 live clusters to delete"))
    }

    /// A create and a delete_tenant racing: whichever commits first, no cluster of the tenant
    /// stays live. Each case holds the first transaction open until the second session is seen
    /// waiting on its lock.
    @Test(arguments: [true, false])
    func aCreateRacingTheDeleteIsDeletedOrRefused(createFirst: Bool) throws {
        let db = try TestDatabase.create()
        let admin = try db.connect()
        try TenantStore(admin).create(TenantStore.NewTenant(name: "acme"))
        let first = try db.connect()
        let second = try db.connect()
        let secondPid: Int = try second.queryRow(SQL("test_offboard_pid", "select pg_backend_pid() as pid"))!.decode("pid")
        try first.executeScript("begin", operation: "test_begin")
        try Self.race(createFirst, on: first)
        let outcome = Locked<Result<Void, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let result = Result { try Self.race(!createFirst, on: second) }
            outcome.mutate { $0 = result }
            done.signal()
        }.start()
        try poll(timeout: 20, "the second session to wait for the first's lock", until: { $0 }) {
            try admin.queryRow(SQL("test_offboard_waiting", "select coalesce(wait_event_type = 'Lock', false) as waiting from pg_stat_activity where pid = $1"),
                               [secondPid])?.decode("waiting", as: Bool.self) ?? false
        }
        try first.executeScript("commit", operation: "test_commit")
        #expect(done.wait(timeout: .now() + 20) == .success)
        let live = SQL("test_offboard_live", "select count(*) as n from berth.clusters where tenant = 'acme' and desired = 'running'")
        #expect(try admin.queryRow(live)!.decode("n", as: Int.self) == 0)
        switch (createFirst, outcome.value) {
        case (true, .some(.success)):
            // The delete saw the committed cluster and deleted it.
            #expect(try admin.queryRow(SQL("test_offboard_stopping", "select count(*) as n from berth.clusters where state = 'stopping'"))!
                .decode("n", as: Int.self) == 1)
        case (false, .some(.failure(let error as PostgresError))):
            #expect(error.sqlState == "22023" && error.message.contains("is being deleted"), "\(error)")
        default:
            Issue.record("unexpected outcome: \(String(describing: outcome.value))")
        }
    }

    /// One side of the race: acme's create of `racer`, or delete_tenant('acme').
    static func race(_ create: Bool, on connection: Connection) throws {
        if create {
            _ = try connection.queryRow(createCluster, ["acme", "racer", JSONText("{}")])
        } else {
            _ = try connection.queryRow(deleteTenant, ["acme"])
        }
    }

    @Test func onlyTheOperatorMayDeleteATenant() throws {
        let db = try TestDatabase.create()
        let admin = try db.connect()
        try TenantStore(admin).create(TenantStore.NewTenant(name: "acme"))
        let login = try TestRole("berth_app", in: db, setup: "grant berth_client to %r")
        let client = try login.connect()
        let denied = try Self.refusal { _ = try client.queryRow(Self.deleteTenant, ["acme"]) }
        #expect(denied.sqlState == "42501", "\(denied)")
        #expect(try #require(try TenantStore(admin).get(name: "acme")).state == .active)
    }

    /// The whole story, with the CLI: a managed tenant with an ECS cluster in us-east-2 and a VM
    /// cluster in us-east-1 is offboarded with `--wait` while another managed tenant keeps a
    /// cluster in the shared network of us-east-2.
    @Test func offboardingLeavesNothingOfTheTenantAndKeepsTheSharedNetwork() throws {
        let h = try ProvisioningHarness()
        let gone = try h.tenant("gone")
        let stays = try h.tenant("stays")
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let ecs = try h.create(gone, "ecs", spec: #"{"workers": 1}"#)
        let vm = try h.create(gone, "vm", spec: #"{"backend": "vm", "workers": 1, "region": "us-east-1"}"#)
        let kept = try h.create(stays, "kept", spec: #"{"workers": 1}"#)
        for id in [ecs, vm, kept] { try h.waitFor(id, .ready, timeout: 120, worker: worker) }
        let clusters = try [ecs, vm].map { try h.cluster($0) }
        let iam = h.aws()
        let serviceLinkedRole = (try? iam.getRole(name: Names.ecsServiceLinkedRole)) != nil
        // What a crash in a bad place could leave: a security group tagged for a cluster of this
        // tenant that Berth never recorded. Offboarding's first region step removes it.
        try h.realism(["lost_answers": ["rate": 0]])  // (the planting is the test's own: no lost answer)
        let east2 = h.aws(region: "us-east-2")
        let sharedVpc = try #require(try east2.describeVpcs(filters: [EC2Filter.tag(Tags.network, Tags.sharedNetwork)]).first).vpcId
        let leaked = try east2.createSecurityGroup(name: "berth-leaked-\(UUID().uuidString.prefix(8))", description: "leaked", vpcId: sharedVpc,
                                                   tags: Tags(tenantId: gone.id, clusterId: UUID()).tags(name: "leaked"))
        try poll(timeout: 30, "the planted group to be visible") { (try? east2.describeSecurityGroups(ids: [leaked]))?.count == 1 }

        let run = try h.berth(["tenant", "delete", "gone", "--wait"])
        #expect(run.status == 0, "\(run.output)\n\(worker.log.suffix(3000))")
        #expect(run.output.contains("gone [tenant.deleting] tenant gone is being deleted: no new clusters; 2 live clusters to delete"), "\(run.output)")
        #expect(run.output.contains("gone/ecs [state -> stopped]") && run.output.contains("gone/vm [state -> stopped]"), "\(run.output)")
        #expect(run.output.contains("[info] deleted IAM role berth-gone-instance"), "\(run.output)")
        #expect(run.output.contains("gone [tenant.deleted] tenant gone deleted: nothing of it is left in AWS in us-east-1, us-east-2"), "\(run.output)")
        #expect(run.output.contains("sweep: deleted orphaned security group \(leaked)"), "\(run.output)")
        for region in ["us-east-1", "us-east-2"] {
            #expect(run.output.contains("inventory by tag in \(region): nothing tagged for tenant gone is left"), "\(run.output)")
        }

        // Nothing of the tenant in AWS, in either region, of any kind the plans make.
        let tenantTag = EC2Filter.tag(Tags.tenant, gone.id.uuidString.lowercased())
        for region in ["us-east-1", "us-east-2"] {
            let aws = h.aws(region: region)
            #expect(try aws.describeVpcs(filters: [tenantTag]).isEmpty)
            #expect(try aws.describeSubnets(filters: [tenantTag]).isEmpty)
            #expect(try aws.describeInternetGateways(filters: [tenantTag]).isEmpty)
            #expect(try aws.describeRouteTables(filters: [tenantTag]).isEmpty)
            #expect(try aws.describeSecurityGroups(filters: [tenantTag]).isEmpty)
            #expect(try aws.describeInstances(filters: [tenantTag]).filter { $0.state != "terminated" }.isEmpty)
            let ecsClusters = try aws.describeClusters(["berth-gone"]).clusters.filter { $0.status == "ACTIVE" }
            #expect(ecsClusters.isEmpty, "\(region): \(ecsClusters)")
            #expect(try aws.describeLogGroups(prefix: "/berth/gone").isEmpty)
            #expect(throws: AWSError.self, "\(region): the repository") { try aws.describeRepositories(names: ["berth/gone"]) }
        }
        for cluster in clusters { #expect(try h.leftovers(of: cluster).isEmpty, "\(cluster.name)") }
        for role in ["berth-gone-ecs-execution", "berth-gone-instance"] {
            #expect(throws: AWSError.self, "role \(role)") { try iam.getRole(name: role) }
        }
        #expect(throws: AWSError.self, "the instance profile") { try iam.getInstanceProfile(name: "berth-gone-instance") }
        // The account's ECS service-linked role is no tenant's.
        #expect(((try? iam.getRole(name: Names.ecsServiceLinkedRole)) != nil) == serviceLinkedRole)

        // The other tenant keeps its cluster, its resources and the shared network.
        let aws = h.aws(region: "us-east-2")
        let shared = EC2Filter.tag(Tags.network, Tags.sharedNetwork)
        #expect(try aws.describeVpcs(filters: [shared]).count == 1)
        #expect(try aws.describeSubnets(filters: [shared]).count == 3)
        #expect(try aws.describeInternetGateways(filters: [shared]).count == 1)
        #expect(try h.cluster(kept).state == .ready)
        #expect(try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, kept.uuidString.lowercased())]).count == 1)
        #expect(try aws.describeClusters(["berth-stays"]).clusters.first?.status == "ACTIVE")
        #expect(try aws.describeLogGroups(prefix: "/berth/stays").count == 1)
        #expect(try aws.describeRepositories(names: ["berth/stays"]).count == 1)
        #expect(try iam.getRole(name: "berth-stays-instance").roleName == "berth-stays-instance")
        #expect(try h.count("select count(*) as n from berth.vpc_networks where id = 'shared:us-east-2' and state = 'ready'") == 1)

        // The tombstone: deleted, its rows of AWS state gone, events and usage readable.
        let tombstone = try #require(try TenantStore(h.connection).get(name: "gone"))
        #expect(tombstone.state == .deleted && tombstone.deletedAt != nil)
        #expect(try h.count("select count(*) as n from berth.networks where tenant_id = $1", [gone.id]) == 0)
        #expect(try h.count("select count(*) as n from berth.steps where scope like '%' || $1::uuid::text || '%'", [gone.id]) == 0)
        #expect(try h.count("select count(*) as n from berth.events where tenant = 'gone'") > 20)
        #expect(try h.count("select count(*) as n from berth.usage_daily where tenant = 'gone' and cluster_hours > 0") >= 1)
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'failed'") == 0)

        // Afterwards: no new cluster, the name is not free, and a second delete says it is done.
        let refused = try Self.refusal { _ = try h.connection.queryRow(Self.createCluster, ["gone", "again", JSONText("{}")]) }
        #expect(refused.sqlState == "22023" && refused.message.contains("tenant 'gone' is deleted"))
        let again = try h.berth(["tenant", "delete", "gone"])
        #expect(again.status == 0 && again.output.contains("tenant gone was deleted at"), "\(again.output)")
        let sqlAgain = try Self.refusal { _ = try h.connection.queryRow(Self.deleteTenant, ["gone"]) }
        #expect(sqlAgain.sqlState == "22023" && sqlAgain.message.contains("was deleted at"))
        let recreate = try h.berth(["tenant", "create", "gone"])
        #expect(recreate.status == 2 && recreate.output.contains("a tenant named gone exists already"), "\(recreate.output)")
        let list = try h.berth(["tenant", "list"])
        #expect(list.output.contains("gone") && list.output.contains("deleted"), "\(list.output)")
    }

    /// An own-account tenant's own VPC network goes with it, and its sealed key is destroyed.
    @Test func anOwnAccountTenantsNetworkAndKeyGo() throws {
        let h = try ProvisioningHarness()
        let (tenant, awsIn) = try h.ownTenant("own")
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 1}"#)
        try h.waitFor(id, .ready, timeout: 120, worker: worker)
        #expect(try h.count("select count(*) as n from berth.tenants where name = 'own' and secret_ciphertext is not null") == 1)

        let job = try TenantStore(h.connection).delete(name: "own")
        try poll(timeout: 120, "the tenant to be deleted\n\(worker.log.suffix(3000))") {
            try TenantStore(h.connection).get(name: "own")?.state == .deleted
        }
        // The queue's completer writes the job's outcome just after.
        try poll(timeout: 10, "job \(job) to succeed") {
            try h.count("select count(*) as n from berth.jobs where id = $1 and state = 'succeeded'", [job]) == 1
        }
        let aws = awsIn("us-east-2")
        let mine = EC2Filter.tag(Tags.tenant, tenant.id.uuidString.lowercased())
        #expect(try aws.describeVpcs(filters: [mine]).isEmpty)
        #expect(try aws.describeSubnets(filters: [mine]).isEmpty)
        #expect(try aws.describeInternetGateways(filters: [mine]).isEmpty)
        #expect(try aws.describeRouteTables(filters: [mine]).isEmpty)
        #expect(try aws.describeSecurityGroups(filters: [mine]).isEmpty)
        #expect(throws: AWSError.self) { try aws.getRole(name: "berth-own-instance") }
        // The key is gone from the row: ciphertext, the master key's id, the access key id.
        #expect(try h.count("""
            select count(*) as n from berth.tenants
             where name = 'own' and secret_ciphertext is null and secret_key_id is null and access_key_id is null
            """) == 1)
        #expect(try h.count("select count(*) as n from berth.vpc_networks where tenant_id = $1", [tenant.id]) == 0)
        // A key cannot be stored again.
        let stored = try h.berth(["tenant", "credentials", "own", "--access-key-id", "AKIAABCDEFGHIJKLMNOP", "--secret-access-key-stdin"],
                                 stdin: "x")
        #expect(stored.status != 0 && stored.output.contains("tenant own is deleted"), "\(stored.output)")
    }
}
