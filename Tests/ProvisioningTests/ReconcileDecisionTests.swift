import Foundation
@testable import Provisioning
import Testing

/// The reconcile's decisions without I/O: what a pass does to a cluster from its record and
/// what AWS shows (ReconcileDecisions), and the spec's durations.
@Suite struct ReconcileDecisionTests {
    static func record(idle: String? = "20m", lifetime: String? = nil, createdAt: Date = Date(), busy: Bool = false) -> ReconcileRecord {
        var cluster = DomainTests.cluster(.ecs)
        cluster.spec.idleTimeout = idle
        cluster.spec.maxLifetime = lifetime
        cluster.createdAt = createdAt
        return ReconcileRecord(cluster: cluster, scheduler: "s", workers: ["w1", "w2"], knownWorkers: ["w1", "w2", "w0"],
                               securityGroup: "sg-1", workerTaskDefinition: "td:1", busy: busy)
    }

    static func seen(_ id: String, stopped: Bool = false, reason: String? = nil, exit: Int? = nil, cluster: UUID? = nil) -> ObservedCompute {
        ObservedCompute(id: id, cluster: cluster, stopped: stopped, reason: reason, exitCode: exit)
    }

    static let healthy = ["s": seen("s"), "w1": seen("w1"), "w2": seen("w2")]

    func actions(_ record: ReconcileRecord, _ observed: [String: ObservedCompute] = healthy, claiming: [ObservedCompute] = [],
                 groups: Set<String>? = ["sg-1"], now: Date = Date()) -> [ReconcileAction] {
        ReconcileDecisions.actions(for: record, observed: observed, claiming: claiming, securityGroups: groups, now: now)
    }

    @Test func aHealthyClusterNeedsNothing() {
        #expect(actions(Self.record()).isEmpty)
    }

    @Test func stoppedAndVanishedWorkersAreReportedWithAWSReason() {
        var observed = Self.healthy
        observed["w1"] = Self.seen("w1", stopped: true, reason: "SpotInterruption: Your Spot Task was interrupted.")
        observed["w2"] = nil
        #expect(actions(Self.record(), observed) == [
            .workerStopped(resource: "w1", reason: "SpotInterruption: Your Spot Task was interrupted."),
            .workerStopped(resource: "w2", reason: "it is gone from AWS"),
        ])
    }

    @Test func anIdleExitIsExitZeroWithAnIdleTimeoutAndAnythingElseIsAnError() {
        var observed = Self.healthy
        observed["s"] = Self.seen("s", stopped: true, reason: "EssentialContainerExited: Essential container in task exited", exit: 0)
        #expect(actions(Self.record(), observed) == [.idle(timeout: "20m")])
        // The same exit with idle_timeout off (or absent) is not an idle stop.
        for idle in ["0", nil] as [String?] {
            #expect(actions(Self.record(idle: idle), observed)
                    == [.schedulerStopped(reason: "the scheduler stopped: EssentialContainerExited: Essential container in task exited (exit code 0)")])
        }
        observed["s"] = Self.seen("s", stopped: true, reason: "UserInitiated: stopped by someone", exit: 137)
        #expect(actions(Self.record(), observed) == [.schedulerStopped(reason: "the scheduler stopped: UserInitiated: stopped by someone (exit code 137)")])
        observed["s"] = nil
        #expect(actions(Self.record(), observed) == [.schedulerStopped(reason: "the scheduler stopped: s is gone from AWS")])
    }

    @Test func theLifetimeComesFirstAndCountsFromTheCreate() {
        let created = Date(timeIntervalSince1970: 1_000_000)
        let record = Self.record(lifetime: "8h", createdAt: created)
        #expect(actions(record, now: created.addingTimeInterval(8 * 3600 - 1)).isEmpty)
        var observed = Self.healthy
        observed["w1"] = Self.seen("w1", stopped: true)
        #expect(actions(record, observed, now: created.addingTimeInterval(8 * 3600)) == [.lifetime(limit: "8h")])
    }

    @Test func aMissingSecurityGroupExplainsEverythingElse() {
        var observed = Self.healthy
        observed["s"] = Self.seen("s", stopped: true, exit: 1)
        #expect(actions(Self.record(), observed, groups: ["sg-2"]) == [.securityGroupMissing(id: "sg-1")])
        // Not looked at: no opinion.
        #expect(actions(Self.record(), groups: nil).isEmpty)
    }

    @Test func leaksAreRunningUnrecordedTasksOfAnIdleCluster() {
        let claiming = [Self.seen("s"), Self.seen("w1"), Self.seen("w0"), Self.seen("x"), Self.seen("y", stopped: true)]
        #expect(actions(Self.record(), claiming: claiming) == [.leak(resource: "x")])
        // While a job runs on the cluster, what it launched may not be on record yet.
        #expect(actions(Self.record(busy: true), claiming: claiming).isEmpty)
    }

    @Test func specDurations() {
        #expect(SpecDuration.seconds("0") == 0)
        #expect(SpecDuration.seconds("10s") == 10)
        #expect(SpecDuration.seconds("20m") == 1200)
        #expect(SpecDuration.seconds("8h") == 28_800)
        #expect(SpecDuration.seconds("2d") == 172_800)
        for bad in ["", "m", "5", "-5m", "1y", "1.5h", "0m"] { #expect(SpecDuration.seconds(bad) == nil, "\(bad)") }
        var spec = DomainTests.cluster(.ecs).spec
        spec.idleTimeout = "10s"
        #expect(DaskScheduler.command(spec: spec).suffix(2) == ["--idle-timeout", "10s"])
        spec.idleTimeout = "0"
        #expect(!DaskScheduler.command(spec: spec).contains("--idle-timeout"))
    }
}
