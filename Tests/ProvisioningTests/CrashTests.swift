import AWS
import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// Crash safety: a real `berth worker` child SIGKILLs itself (`BERTH_TEST_CRASH_AT`) at one of
/// four points of one create step; a fresh worker then finishes the cluster, with no duplicate
/// resource in AWS and the same client token in the step's checkpoint.
///
/// The cases are async and wait with `Task.sleep`, so Swift Testing can run many of them at
/// once on a 2-core machine (blocking waits would hold the cooperative pool's threads); a
/// small gate bounds how many run at once (Postgres connections, the emulator's CPU; 6 by
/// default, `BERTH_CRASH_TESTS_PARALLEL` to change it). Whole file: 95-105 s on 2 shared cores.
@Suite struct CrashTests {
    /// A crash point in a step of one of the four plans a cluster create runs (for a managed
    /// tenant: its IAM roles, the region's shared network, its ECS cluster, log group and
    /// repository there, and the cluster's own).
    struct Case: Sendable, CustomTestStringConvertible {
        enum PlanKind: String, Sendable { case tenant, network, tenantRegion, cluster }
        let plan: PlanKind
        let step: String
        let point: CrashPoint
        var testDescription: String { "\(step):\(point.rawValue)" }
    }

    /// The create steps of each plan, in plan order (`everyCreateStepIsCovered` keeps this in
    /// step with the plans).
    static let createSteps: [(Case.PlanKind, [String])] = [
        (.tenant, ["execution_role", "instance_role", "instance_profile", "ecs_service_linked_role"]),
        (.network, ["vpc", "subnets", "internet_gateway", "route_table"]),
        (.tenantRegion, ["ecs_cluster", "log_group", "ecr_repository"]),
        (.cluster, ["security_group", "tls", "task_definitions", "scheduler_task", "worker_tasks"]),
    ]

    static let cases: [Case] = createSteps.flatMap { plan, steps in
        steps.flatMap { step in CrashPoint.allCases.map { Case(plan: plan, step: step, point: $0) } }
    }

    static let workers = 2
    static let region = "us-east-2"

    @Test(arguments: cases)
    func killedWorkerIsFinishedByAFreshOne(_ crash: Case) async throws {
        try await CrashGate.shared.run { try await check(crash) }
    }

    private func check(_ crash: Case) async throws {
        let h = try Self.harness()
        let tenant = try h.tenant()
        let id = try h.create(tenant, "c1", spec: #"{"workers": \#(Self.workers)}"#)
        let clusterId = id.uuidString.lowercased()
        let tenantId = tenant.id.uuidString.lowercased()
        let scope = switch crash.plan {
        case .tenant: "tenant:\(tenantId)"
        case .network: "network:shared:\(Self.region)"
        case .tenantRegion: TenantRegionPlan.scope(tenantId: tenant.id, region: Self.region)
        case .cluster: "cluster:\(clusterId)"
        }

        // 1. A worker that kills itself at the crash point.
        let crashing = try Self.worker(h, crashAt: "\(crash.step):\(crash.point.rawValue)")
        defer { crashing.signal(SIGKILL) }
        try await poll(timeout: 60, "the crashing worker to die at \(crash.testDescription)\n\(crashing.log.suffix(3000))") {
            !crashing.process.isRunning
        }
        #expect(crashing.process.terminationReason == .uncaughtSignal && crashing.process.terminationStatus == SIGKILL,
                "exit \(crashing.process.terminationStatus)")
        // The pipe may deliver the dying worker's last line a moment after it exits.
        try await poll(timeout: 5, "the crash message in the log\n\(crashing.log.suffix(2000))") {
            crashing.log.contains("BERTH_TEST_CRASH_AT=\(crash.step):\(crash.point.rawValue)")
        }

        // What the crash left in berth.steps for that step.
        let left = try checkpoint(h, scope: scope, step: crash.step)
        switch crash.point {
        case .beforeIntent: #expect(left == nil, "no intent before the intent is written")
        case .afterIntent, .afterCall: #expect(left?.state == "intent")
        case .afterCheckpoint: #expect(left?.state == "done")
        }

        // 2. A fresh worker without the crash finishes the cluster once the lease runs out.
        let fresh = try Self.worker(h, crashAt: nil)
        defer { fresh.signal(SIGKILL) }
        try await h.waitFor(id, .ready, timeout: 90, worker: fresh)

        // 3. The same client token from intent to done, and it is the deterministic one.
        let done = try #require(try checkpoint(h, scope: scope, step: crash.step))
        #expect(done.state == "done")
        #expect(done.token == ClientToken.make(scope: scope, step: crash.step, generation: 1))
        if let token = left?.token { #expect(done.token == token) }
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'failed'") == 0)

        // 4. Nothing twice in AWS (the network is the one managed tenants share in the region).
        let aws = h.aws(region: Self.region)
        let shared = EC2Filter.tag(Tags.network, Tags.sharedNetwork)
        func tagged(_ step: String) -> [EC2Filter] { [shared, EC2Filter.tag(Tags.step, step)] }
        #expect(try aws.describeVpcs(filters: [shared]).count == 1)
        #expect(try aws.describeSubnets(filters: [shared]).count == 3)
        #expect(try aws.describeSubnets(filters: tagged("subnets")).count == 3)
        #expect(try aws.describeInternetGateways(filters: [shared]).count == 1)
        #expect(try aws.describeRouteTables(filters: tagged("route_table")).count == 1)
        let groups = try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, clusterId)])
        #expect(groups.count == 1)
        #expect(try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.tenant, tenantId)]).count == 1)
        let ecsCluster = "berth-\(tenant.name)"
        let tasks = try aws.listTasks(cluster: ecsCluster, startedBy: clusterId)
        #expect(tasks.count == 1 + Self.workers, "\(tasks)")
        for role in ["scheduler", "worker"] {
            let family = "berth-\(clusterId)-\(role)"
            #expect(try aws.describeTaskDefinition("\(family):1").status == "ACTIVE")
            #expect(throws: AWSError.self, "one revision of \(family)") { try aws.describeTaskDefinition("\(family):2") }
        }
        #expect(try aws.listClusters().filter { $0.hasSuffix("/\(ecsCluster)") }.count == 1)
        #expect(try aws.describeLogGroups(prefix: "/berth/\(tenant.name)").count == 1)
        #expect(try aws.describeRepositories(names: ["berth/\(tenant.name)"]).count == 1)
        #expect(try aws.getRole(name: "berth-\(tenant.name)-ecs-execution").roleName == "berth-\(tenant.name)-ecs-execution")
        #expect(try aws.getRole(name: "berth-\(tenant.name)-instance").roleName == "berth-\(tenant.name)-instance")
        #expect(try aws.getInstanceProfile(name: "berth-\(tenant.name)-instance").roles.map(\.roleName) == ["berth-\(tenant.name)-instance"])
        // (The ECS service-linked role has one fixed name: IAM cannot hold it twice.)
        // One certificate authority, and its secret (a second CA would split scheduler and workers).
        #expect(try h.count("select count(*) as n from berth.cluster_tls where cluster_id = $1", [id]) == 1)
        #expect(try aws.describeSecret("berth/\(tenant.name)/\(clusterId)/tls").deletedDate == nil)

        // 5. The cluster deletes cleanly (what a crash left behind is all known to Berth). For
        // the cluster plan's steps only: a crash in the shared plans leaves nothing of the cluster's.
        guard crash.plan == .cluster else { return }
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        let stopped = try await h.waitFor(id, .stopped, timeout: 90, worker: fresh)
        #expect(try h.leftovers(of: stopped).isEmpty)
    }

    /// The VM backend's create steps, at the same four points: no duplicate instance (the
    /// clusters have a worker role, so the workers' instance profile is made too).
    static let vmCreateSteps = ["security_group", "tls", "scheduler_instance", "worker_instance_profile", "worker_instances"]
    static let vmCases: [Case] = vmCreateSteps.flatMap { step in CrashPoint.allCases.map { Case(plan: .cluster, step: step, point: $0) } }

    @Test(arguments: vmCases)
    func killedVMWorkerIsFinishedByAFreshOneWithoutDuplicateInstances(_ crash: Case) async throws {
        try await CrashGate.shared.run { try await checkVM(crash) }
    }

    private func checkVM(_ crash: Case) async throws {
        let h = try Self.harness()
        let tenant = try h.tenant()
        let role = try WorkerRoleTests.role(h, "reader")
        let id = try h.create(tenant, "v1", spec: #"{"backend": "vm", "workers": \#(Self.workers), "worker_role_arn": "\#(role)"}"#)
        let clusterId = id.uuidString.lowercased()
        let point = "\(crash.step):\(crash.point.rawValue)"
        let crashing = try Self.worker(h, crashAt: point)
        defer { crashing.signal(SIGKILL) }
        try await poll(timeout: 60, "the crashing worker to die at \(point)\n\(crashing.log.suffix(3000))") {
            !crashing.process.isRunning
        }
        try await poll(timeout: 5, "the crash message in the log\n\(crashing.log.suffix(2000))") {
            crashing.log.contains("BERTH_TEST_CRASH_AT=\(point)")
        }
        let left = try checkpoint(h, scope: "cluster:\(clusterId)", step: crash.step)
        let fresh = try Self.worker(h, crashAt: nil)
        defer { fresh.signal(SIGKILL) }
        try await h.waitFor(id, .ready, timeout: 90, worker: fresh)
        let done = try #require(try checkpoint(h, scope: "cluster:\(clusterId)", step: crash.step))
        if let token = left?.token { #expect(done.token == token) }

        let aws = h.aws(region: Self.region)
        let live = EC2Filter("instance-state-name", ["pending", "running"])
        let instances = try aws.describeInstances(filters: [EC2Filter.tag(Tags.cluster, clusterId), live])
        #expect(instances.count == 1 + Self.workers, "\(instances.map(\.instanceId))")
        #expect(try aws.describeInstances(filters: [EC2Filter.tag(Tags.step, "scheduler_instance"), EC2Filter.tag(Tags.cluster, clusterId), live]).count == 1)
        #expect(try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, clusterId)]).count == 1)
        #expect(try aws.getInstanceProfile(name: "berth-\(clusterId)-workers").roles.map(\.roleName) == ["reader"])

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "v1")
        let stopped = try await h.waitFor(id, .stopped, timeout: 90, worker: fresh)
        #expect(try h.leftovers(of: stopped).isEmpty)
    }

    /// The `cluster.workers` job's steps at the same four points: a scale up (2 → 4) for
    /// `workers.launch` and `workers.running`, a scale down (3 → 1) for `workers.stop`. A fresh
    /// worker finishes the scale: no duplicate worker in AWS or on record, none lost.
    static let workersCases: [Case] = [WorkersPlan.launchStep, WorkersPlan.stopStep, WorkersPlan.runningStep].flatMap { step in
        CrashPoint.allCases.map { Case(plan: .cluster, step: step, point: $0) }
    }

    @Test(arguments: workersCases)
    func killedWorkerMidScaleLeavesNoDuplicateAndNoLostWorker(_ crash: Case) async throws {
        try await CrashGate.shared.run { try await checkWorkers(crash) }
    }

    private func checkWorkers(_ crash: Case) async throws {
        let h = try Self.harness()
        let tenant = try h.tenant()
        let (from, to) = crash.step == WorkersPlan.stopStep ? (3, 1) : (2, 4)
        let id = try h.create(tenant, "c1", spec: #"{"workers": \#(from)}"#)
        let creator = try Self.worker(h, crashAt: nil)
        try await h.waitFor(id, .ready, timeout: 90, worker: creator)
        creator.signal(SIGKILL)
        try await poll(timeout: 10, "the creating worker to exit") { !creator.process.isRunning }

        let point = "\(crash.step):\(crash.point.rawValue)"
        let crashing = try Self.worker(h, crashAt: point)
        defer { crashing.signal(SIGKILL) }
        _ = try ClusterStore(h.connection).scale(tenant: tenant.name, name: "c1", workers: to)
        try await poll(timeout: 60, "the crashing worker to die at \(point)\n\(crashing.log.suffix(3000))") { !crashing.process.isRunning }
        #expect(crashing.process.terminationReason == .uncaughtSignal && crashing.process.terminationStatus == SIGKILL)

        let fresh = try Self.worker(h, crashAt: nil)
        defer { fresh.signal(SIGKILL) }
        let set = WorkerSet(h.connection)
        try await poll(timeout: 90, "the scale to finish after the crash at \(point)\n\(fresh.log.suffix(2000))") {
            let active = try h.count("select count(*) as n from berth.jobs where kind = 'cluster.workers' and state in ('queued', 'running')")
            return try h.cluster(id).state == .ready && active == 0
        }
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'failed'") == 0)
        let workers = try set.workers(of: id)
        let running = workers.filter { $0.state == .running }.map(\.resourceId)
        #expect(running.count == to, "\(workers)")
        // Every launch on record once: the create's and the scale's, nothing twice.
        #expect(workers.count == max(from, to), "\(workers)")
        try await poll(timeout: 30, "ECS to run exactly the workers on record") {
            Set(try WorkerSetTests.workerTasks(h, tenant, id)) == Set(running)
        }
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        let stopped = try await h.waitFor(id, .stopped, timeout: 90, worker: fresh)
        #expect(try h.leftovers(of: stopped).isEmpty)
    }

    /// The crash cases cover every create step of the plans a cluster create runs.
    @Test func everyCreateStepIsCovered() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let cluster = try h.cluster(try h.create(tenant, "c1"))
        let creates = { (steps: [Step]) in steps.filter { $0.kind == .create }.map(\.name) }
        let planned: [Case.PlanKind: [String]] = [
            .tenant: creates(TenantIAMPlan.plan(tenant: tenant).steps),
            .network: creates(NetworkPlan.plan(VPCNetwork(id: "shared:\(Self.region)", tenantId: nil, state: .creating, outputs: [:],
                                                          error: nil), name: "n").steps),
            .tenantRegion: creates(TenantRegionPlan.plan(tenant: tenant, region: Self.region).steps),
            .cluster: creates(ECSBackend().createSteps(for: cluster) + ECSBackend().readinessSteps(for: cluster)),
        ]
        for (plan, steps) in Self.createSteps { #expect(planned[plan] == steps, "\(plan)") }
        let vm = try h.cluster(try h.create(tenant, "v1", spec: #"{"backend": "vm"}"#))
        #expect(creates(VMBackend().createSteps(for: vm) + VMBackend().readinessSteps(for: vm)) == Self.vmCreateSteps)
    }

    // MARK: - Helpers

    /// A test's world under the run's AWS realism, with IAM propagation and lingering network
    /// interfaces kept short: they are not the point here (eventual consistency is: a resumed
    /// step must not create again what a describe does not show yet).
    private static func harness() throws -> ProvisioningHarness {
        let h = try ProvisioningHarness()
        try h.realism(["propagation": ["min_seconds": 0, "max_seconds": 0.3], "eni_linger": ["min_seconds": 0, "max_seconds": 0.3]])
        return h
    }

    /// A worker with a 1 s lease (so the fresh one rescues the crashed jobs quickly) and few
    /// connections (many cases run at once against one Postgres). Also TenantOffboardingCrashTests'.
    static func worker(_ h: ProvisioningHarness, crashAt: String?) throws -> ChildProcess {
        var environment = h.environment
        // Looks at AWS (and at the shared network a cluster waits for) every 0.2 s, not 0.05:
        // many cases share two cores with the emulator.
        environment["BERTH_AWS_POLL_INTERVAL"] = "0.2"
        if let crashAt { environment["BERTH_TEST_CRASH_AT"] = crashAt }
        return try ChildProcess(arguments: ["worker", "--concurrency", "4", "--handler-connections", "2", "--lease", "1s",
                                            "--heartbeat", "200ms", "--rescue-interval", "200ms", "--poll-interval", "200ms",
                                            "--backoff-base", "20ms", "--backoff-cap", "200ms", "--grace-period", "1s"],
                                environment: environment)
    }

    private struct StepRow { let state: String; let token: String? }

    private func checkpoint(_ h: ProvisioningHarness, scope: String, step: String) throws -> StepRow? {
        let sql = SQL("crash_tests_checkpoint", "select state, client_token from berth.steps where scope = $1 and step = $2")
        guard let row = try h.connection.queryRow(sql, [scope, step]) else { return nil }
        return StepRow(state: try row.decode("state"), token: try row.decodeIfPresent("client_token"))
    }
}

/// At most `limit` crash cases at once: each has its own database, worker process and AWS account.
actor CrashGate {
    static let shared = CrashGate(limit: Int(ProcessInfo.processInfo.environment["BERTH_CRASH_TESTS_PARALLEL"] ?? "") ?? 6)
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if running >= limit {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            running += 1
        }
        defer {
            if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
