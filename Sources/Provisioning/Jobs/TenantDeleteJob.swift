import AWS
import Foundation
import Postgres
import Queue

/// `tenant.delete` (enqueued by `berth.delete_tenant`): waits until every cluster of the tenant
/// is `stopped` (their deletes were asked for by the same call) and no network job of it runs,
/// then removes the rest of what it has in AWS (`TenantTeardownPlan`: per region, then IAM),
/// and ends by destroying its sealed key and marking it `deleted`, in one fenced transaction.
/// Every part can run again: the plans' checkpoints skip finished steps, and their steps find
/// what to delete by name or tag.
public struct TenantDeleteJob: JobHandler {
    public static let kind = "tenant.delete"
    /// The crash point's name for the final transaction (key destroyed, row a tombstone).
    static let finishStep = "tenant.finish"
    let settings: ProvisioningSettings

    public init(settings: ProvisioningSettings) {
        self.settings = settings
    }

    public func run(_ context: JobContext) throws -> JobResult {
        let args = try TenantJobArguments(args: context.job.args)
        guard let tenant = try context.withConnection({ try TenantStore($0).get(id: args.tenantId) }) else {
            throw JobError("tenant \(args.tenantId) no longer exists", retryable: false)
        }
        switch tenant.state {
        case .deleted: return .succeeded(output: nil)
        case .active: throw JobError("tenant \(tenant.name) is active: a tenant.delete job runs only after berth.delete_tenant", retryable: false)
        case .deleting: break
        }
        let events = EventTarget(tenant: tenant.name, clusterId: nil, clusterName: nil)
        do {
            if let waiting = try busy(tenant, context) {
                try noteWaiting(waiting, events: events, context)
                return .snooze(seconds: settings.pollInterval)
            }
            let (regions, iamStarted) = try context.withConnection { connection in
                (try connection.query(ProvisioningSQL.tenantRegions, [tenant.id]).map { try $0.decode("region", as: String.self) },
                 (try connection.queryRow(ProvisioningSQL.tenantIAMStarted, [tenant.id])?.decode("n", as: Int.self) ?? 0) > 0)
            }
            // A tenant that never had a network made nothing in AWS (its key may be absent).
            if !regions.isEmpty || iamStarted {
                let tags = Tags(tenantId: tenant.id)
                for region in regions {
                    let access = try TenantAccess.open(for: context, tenantId: tenant.id, region: region, settings: settings, events: events)
                    let engine = StepEngine(job: context, aws: access.aws, tags: tags, events: events, settings: settings)
                    let plan = TenantTeardownPlan.regionPlan(tenantId: tenant.id, tenant: tenant.name, region: region)
                    if let seconds = waiting(try engine.run(plan)) { return .snooze(seconds: seconds) }
                }
                let iamRegion = regions.first ?? tenant.defaultRegion ?? Regions.fallback
                let access = try TenantAccess.open(for: context, tenantId: tenant.id, region: iamRegion, settings: settings, events: events)
                let engine = StepEngine(job: context, aws: access.aws, tags: tags, events: events, settings: settings)
                if let seconds = waiting(try engine.run(TenantTeardownPlan.iamPlan(tenantId: tenant.id, tenant: tenant.name))) {
                    return .snooze(seconds: seconds)
                }
            }
            try finish(tenant, regions: regions, context, events: events)
            CrashPoint.hit(.afterCheckpoint, step: Self.finishStep, settings: settings)
            return .succeeded(output: nil)
        } catch let error as JobError where !error.isRetryable {
            // `berth tenant delete --wait` stops on this; running the command again starts over.
            try? events.add(job: context, type: "tenant.failed",
                            message: "deleting tenant \(tenant.name) stopped: \(error.message); fix that, then run `berth tenant delete \(tenant.name)` again")
            throw error
        }
    }

    /// How long to snooze when a teardown plan waits for AWS; nil once it finished.
    private func waiting(_ result: StepEngine.Result) -> Double? {
        switch result {
        case .finished: nil
        case .snooze(let seconds): seconds
        case .stopped: settings.pollInterval  // (the plans take no stop condition)
        }
    }

    /// What the teardown waits for, or nil: clusters not yet `stopped` (a cluster whose delete
    /// failed fails this job, saying which and why), network jobs still running.
    private func busy(_ tenant: Tenant, _ context: JobContext) throws -> String? {
        try context.withConnection { connection in
            var waiting: [String] = []
            for row in try connection.query(ProvisioningSQL.tenantClustersLeft, [tenant.id]) {
                let name: String = try row.decode("name")
                let state: String = try row.decode("state")
                let jobState: String? = try row.decodeIfPresent("delete_job_state")
                guard jobState == "queued" || jobState == "running" else {
                    let reason: String? = try row.decodeIfPresent("error") ?? row.decodeIfPresent("delete_job_error")
                    throw JobError("cluster \(name) is \(state) and its delete is not running (\(jobState ?? "never asked for")"
                                   + (reason.map { ": \($0)" } ?? "") + ")", retryable: false)
                }
                waiting.append("\(name) (\(state))")
            }
            if !waiting.isEmpty { return "\(waiting.count) cluster\(waiting.count == 1 ? "" : "s") to be deleted: \(waiting.joined(separator: ", "))" }
            let networkJobs: Int = try connection.queryRow(ProvisioningSQL.networkJobsInFlight, [tenant.id, NetworkJob.kind])?.decode("n") ?? 0
            return networkJobs > 0 ? "\(networkJobs) network job\(networkJobs == 1 ? "" : "s") to stop" : nil
        }
    }

    /// Says what the job waits for once per change, not on every look.
    private func noteWaiting(_ waiting: String, events: EventTarget, _ context: JobContext) throws {
        let last = try context.withConnection { connection in
            try connection.queryRow(ProvisioningSQL.lastJobEvent, [context.job.id])?.decodeIfPresent("message", as: String.self)
        }
        let message = "waiting for \(waiting)"
        if last != message { try events.add(job: context, type: "tenant.waiting", message: message) }
    }

    private func finish(_ tenant: Tenant, regions: [String], _ context: JobContext, events: EventTarget) throws {
        try context.withConnection { connection in
            try connection.transaction { connection in
                guard try connection.queryRow(ProvisioningSQL.markTenantDeleted, [tenant.id, context.job.id, context.leaseToken]) != nil else {
                    throw JobInterrupted(reason: .leaseLost)
                }
                _ = try connection.queryRow(ProvisioningSQL.forgetDeletedTenant, [tenant.id])
                try connection.execute(ProvisioningSQL.forgetDeletedTenantVPCs, [tenant.id])
                let where_ = regions.isEmpty ? "" : " in \(regions.joined(separator: ", "))"
                try events.add(on: connection, jobId: context.job.id, type: "tenant.deleted",
                               message: "tenant \(tenant.name) deleted: nothing of it is left in AWS\(where_), its key is destroyed; its events and usage stay readable")
            }
        }
    }
}
