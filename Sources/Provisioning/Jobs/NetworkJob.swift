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
        let args = (try? context.job.args.object()) as? [String: Any]
        guard let tenantText = args?["tenant_id"] as? String, let tenantId = UUID(uuidString: tenantText),
              let region = args?["region"] as? String else {
            throw JobError("job args must hold tenant_id and region, got \(context.job.args)", retryable: false)
        }
        let (tenant, aws): (Tenant, AWSClient) = try context.withConnection { connection in
            let store = TenantStore(connection)
            guard let tenant = try store.get(id: tenantId) else { throw JobError("tenant \(tenantId) no longer exists", retryable: false) }
            do {
                return (tenant, try settings.awsClient(for: tenant, region: region, store: store))
            } catch let error as StepFailure {
                try finish(connection, context, tenantId: tenantId, region: region, state: "error", outputs: [:], error: error.message)
                throw JobError(error.message, retryable: false)
            } catch let error as MissingMasterKey {
                throw try error.retry(EventTarget(tenant: tenant.name, clusterId: nil, clusterName: nil), on: connection, jobId: context.job.id)
            }
        }
        let events = EventTarget(tenant: tenant.name, clusterId: nil, clusterName: nil)
        let engine = StepEngine(job: context, aws: aws, tags: Tags(tenantId: tenant.id), events: events, settings: settings)
        do {
            guard case .finished(let iam) = try engine.run(TenantIAMPlan.plan(tenant: tenant)) else {
                return .snooze(seconds: settings.pollInterval)
            }
            switch try engine.run(NetworkPlan.plan(tenant: tenant, region: region), outputs: iam) {
            case .snooze(let seconds): return .snooze(seconds: seconds)
            case .stopped(let reason): return .cancelled(reason: reason)
            case .finished(let outputs):
                try context.withConnection { connection in
                    try finish(connection, context, tenantId: tenantId, region: region, state: "ready", outputs: outputs, error: nil)
                    try events.add(on: connection, jobId: context.job.id, type: "network.ready",
                                   message: "network in \(region) ready (\(outputs["vpc_id"] ?? "?"))")
                }
                return .succeeded(output: encodeOutputs(outputs))
            }
        } catch let error as JobError where !error.isRetryable {
            // Clusters waiting on this network fail with the reason rather than time out.
            try context.withConnection { try finish($0, context, tenantId: tenantId, region: region, state: "error", outputs: [:], error: error.message) }
            throw error
        }
    }

    private func finish(_ connection: Connection, _ context: JobContext, tenantId: UUID, region: String, state: String,
                        outputs: StepOutputs, error: String?) throws {
        let changed = try connection.execute(ProvisioningSQL.finishNetwork, [
            tenantId, region, state, encodeOutputs(outputs), error, context.job.id, context.leaseToken,
        ])
        if changed == 0 { throw JobInterrupted(reason: .leaseLost) }
    }
}
