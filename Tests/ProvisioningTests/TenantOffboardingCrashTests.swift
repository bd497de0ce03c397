import AWS
import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// Offboarding is crash-safe: a real `berth worker` SIGKILLs itself (`BERTH_TEST_CRASH_AT`)
/// right after the AWS calls of one teardown step, before its checkpoint (or right after the
/// final transaction), and a fresh worker finishes the job: the tenant ends `deleted` with
/// nothing of it left in its AWS account. The tenant has its own account, so the VPC steps
/// have a network to delete; it is built by a network job alone (no cluster: cluster deletes
/// have crash tests of their own).
@Suite struct TenantOffboardingCrashTests {
    static let region = "us-east-2"

    static let cases: [String] = {
        let id = UUID()
        return (TenantTeardownPlan.regionPlan(tenantId: id, tenant: "t", region: region).steps
                + TenantTeardownPlan.iamPlan(tenantId: id, tenant: "t").steps)
            .map { "\($0.name):\(CrashPoint.afterCall.rawValue)" } + ["\(TenantDeleteJob.finishStep):\(CrashPoint.afterCheckpoint.rawValue)"]
    }()

    @Test(arguments: cases)
    func aKilledOffboardingIsFinishedByAFreshWorker(_ point: String) async throws {
        try await CrashGate.shared.run { try await check(point) }
    }

    private func check(_ point: String) async throws {
        let h = try ProvisioningHarness()
        try h.realism(["propagation": ["min_seconds": 0, "max_seconds": 0.3], "eni_linger": ["min_seconds": 0, "max_seconds": 0.3]])
        let name = "t" + UUID().uuidString.prefix(8).lowercased()
        let (tenant, awsIn) = try h.ownTenant(name)
        try h.connection.execute(ProvisioningSQL.ensureNetworkRow, [tenant.id, Self.region])
        _ = try h.connection.queryRow(ProvisioningSQL.enqueueNetworkJob, [tenant.id, Self.region, tenant.name, NetworkJob.kind])
        let builder = try CrashTests.worker(h, crashAt: nil)
        defer { builder.signal(SIGKILL) }
        try await poll(timeout: 90, "the network to be ready\n\(builder.log.suffix(3000))") {
            try h.count("select count(*) as n from berth.networks where tenant_id = $1 and state = 'ready'", [tenant.id]) == 1
        }
        builder.signal(SIGKILL)
        let aws = awsIn(Self.region)
        let mine = EC2Filter.tag(Tags.tenant, tenant.id.uuidString.lowercased())
        #expect(try aws.describeVpcs(filters: [mine]).count == 1)

        let job = try TenantStore(h.connection).delete(name: name)
        let crashing = try CrashTests.worker(h, crashAt: point)
        defer { crashing.signal(SIGKILL) }
        try await poll(timeout: 60, "the crashing worker to die at \(point)\n\(crashing.log.suffix(3000))") { !crashing.process.isRunning }
        #expect(crashing.process.terminationReason == .uncaughtSignal && crashing.process.terminationStatus == SIGKILL)
        try await poll(timeout: 5, "the crash message in the log\n\(crashing.log.suffix(2000))") {
            crashing.log.contains("BERTH_TEST_CRASH_AT=\(point)")
        }

        let fresh = try CrashTests.worker(h, crashAt: nil)
        defer { fresh.signal(SIGKILL) }
        try await poll(timeout: 90, "job \(job) to succeed\n\(fresh.log.suffix(3000))") {
            try h.count("select count(*) as n from berth.jobs where id = $1 and state = 'succeeded'", [job]) == 1
        }
        #expect(try TenantStore(h.connection).get(name: name)?.state == .deleted)
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'failed'") == 0)
        #expect(try h.count("select count(*) as n from berth.events where tenant = $1 and type = 'tenant.deleted'", [name]) == 1)

        // Nothing of the tenant is left in its account.
        #expect(try aws.describeVpcs(filters: [mine]).isEmpty)
        #expect(try aws.describeSubnets(filters: [mine]).isEmpty)
        #expect(try aws.describeInternetGateways(filters: [mine]).isEmpty)
        #expect(try aws.describeRouteTables(filters: [mine]).isEmpty)
        #expect(try aws.describeClusters(["berth-\(name)"]).clusters.filter { $0.status == "ACTIVE" }.isEmpty)
        #expect(try aws.describeLogGroups(prefix: "/berth/\(name)").isEmpty)
        #expect(throws: AWSError.self) { try aws.describeRepositories(names: ["berth/\(name)"]) }
        #expect(throws: AWSError.self) { try aws.getRole(name: "berth-\(name)-instance") }
        #expect(throws: AWSError.self) { try aws.getRole(name: "berth-\(name)-ecs-execution") }
        #expect(throws: AWSError.self) { try aws.getInstanceProfile(name: "berth-\(name)-instance") }
    }
}
