import AWS
import Foundation
import Postgres
import Queue

/// `network.ensure`: the tenant's IAM roles (once per tenant) and its shared network in one
/// region (once per tenant and region). Clusters waiting for it snooze until it is `ready`.
public struct NetworkJob: JobHandler {
    public static let kind = "network.ensure"
    let settings: ProvisioningSettings

    public init(settings: ProvisioningSettings) {
        self.settings = settings
    }

    public func run(_ context: JobContext) throws -> JobResult {
        let args = try NetworkJobArguments(args: context.job.args)
        let (tenantId, region) = (args.tenantId, args.region)
        // A tenant whose key nobody can open fails its network, so clusters waiting on it fail too.
        let access = try TenantAccess.open(for: context, tenantId: tenantId, region: region, settings: settings) { connection, message in
            try finish(connection, context, tenantId: tenantId, region: region, state: .error, outputs: [:], error: message)
        }
        let tenant = access.tenant
        let events = EventTarget(tenant: tenant.name, clusterId: nil, clusterName: nil)
        let engine = StepEngine(job: context, aws: access.aws, tags: Tags(tenantId: tenant.id), events: events, settings: settings)
        do {
            guard case .finished(let iam) = try engine.run(TenantIAMPlan.plan(tenant: tenant)) else {
                return .snooze(seconds: settings.pollInterval)
            }
            switch try engine.run(NetworkPlan.plan(tenant: tenant, region: region), outputs: iam) {
            case .snooze(let seconds): return .snooze(seconds: seconds)
            case .stopped(let reason): return .cancelled(reason: reason)
            case .finished(let outputs):
                try context.withConnection { connection in
                    try finish(connection, context, tenantId: tenantId, region: region, state: .ready, outputs: outputs, error: nil)
                    try events.add(on: connection, jobId: context.job.id, type: "network.ready",
                                   message: "network in \(region) ready (\(outputs["vpc_id"] ?? "?"))")
                }
                return .succeeded(output: encodeOutputs(outputs))
            }
        } catch let error as JobError where !error.isRetryable {
            // Clusters waiting on this network fail with the reason rather than time out.
            try context.withConnection { try finish($0, context, tenantId: tenantId, region: region, state: .error, outputs: [:], error: error.message) }
            throw error
        }
    }

    private func finish(_ connection: Connection, _ context: JobContext, tenantId: UUID, region: String, state: SharedNetwork.State,
                        outputs: StepOutputs, error: String?) throws {
        let changed = try connection.execute(ProvisioningSQL.finishNetwork, [
            tenantId, region, state, encodeOutputs(outputs), error, context.job.id, context.leaseToken,
        ])
        if changed == 0 { throw JobInterrupted(reason: .leaseLost) }
    }
}
