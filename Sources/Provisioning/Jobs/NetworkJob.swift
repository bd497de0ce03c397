import AWS
import Foundation
import Postgres
import Queue

/// `network.ensure`: the tenant's IAM roles (once per tenant), the VPC network its clusters in
/// the region use (shared by the managed tenants, built by whichever tenant's job comes first;
/// an own-account tenant's own), then the tenant's ECS cluster, log group and repository in the
/// region. Clusters waiting for it snooze until it is `ready`.
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
        // Offboarding: nothing new is built for a tenant being deleted (its teardown waits for this job to end).
        guard tenant.state == .active else { return .cancelled(reason: "tenant \(tenant.name) is \(tenant.state.rawValue)") }
        let events = EventTarget(tenant: tenant.name, clusterId: nil, clusterName: nil)
        let engine = StepEngine(job: context, aws: access.aws, tags: Tags(tenantId: tenant.id), events: events, settings: settings)
        do {
            guard case .finished(let iam) = try engine.run(TenantIAMPlan.plan(tenant: tenant)) else {
                return .snooze(seconds: settings.pollInterval)
            }
            let vpc: StepOutputs
            switch try vpcNetwork(for: tenant, region: region, context, access: access, events: events) {
            case .snooze(let seconds): return .snooze(seconds: seconds)
            case .ready(let outputs): vpc = outputs
            }
            switch try engine.run(TenantRegionPlan.plan(tenant: tenant, region: region), outputs: iam.merging(vpc) { $1 }) {
            case .snooze(let seconds): return .snooze(seconds: seconds)
            case .stopped(let reason): return .cancelled(reason: reason)
            case .finished(let outputs):
                try context.withConnection { connection in
                    try finish(connection, context, tenantId: tenantId, region: region, state: .ready, outputs: outputs, error: nil)
                    try events.add(on: connection, jobId: context.job.id, type: "network.ready",
                                   message: "network in \(region) ready (\(outputs["vpc_id"] ?? "?")\(vpc["vpc_shared"] == "true" ? ", shared" : ""))")
                }
                return .succeeded(output: encodeOutputs(outputs))
            }
        } catch let error as JobError where !error.isRetryable {
            // Clusters waiting on this network fail with the reason rather than time out.
            try context.withConnection { try finish($0, context, tenantId: tenantId, region: region, state: .error, outputs: [:], error: error.message) }
            throw error
        }
    }

    private enum VPCResult {
        case ready(StepOutputs)
        case snooze(Double)
    }

    /// The VPC network the tenant's clusters in `region` use, built by this job unless another
    /// job is building it (then this one snoozes) or it is ready. Its outputs carry
    /// `vpc_shared`, which decides the clusters' default ingress.
    private func vpcNetwork(for tenant: Tenant, region: String, _ context: JobContext, access: TenantAccess,
                            events: EventTarget) throws -> VPCResult {
        let planned = VPCNetwork.planned(for: tenant, region: region)
        let row = try context.withConnection { connection -> Row? in
            let id: String = try connection.queryRow(ProvisioningSQL.useVPCNetwork, [tenant.id, region, planned.id, planned.owner])?
                .decode("vpc_network") ?? planned.id
            if let row = try connection.queryRow(ProvisioningSQL.vpcNetwork, [id]), try VPCNetwork(row: row).state == .ready { return row }
            return try connection.queryRow(ProvisioningSQL.acquireVPCNetwork, [id, context.job.id])
        }
        // Another tenant's job is building it: look again soon.
        guard let network = try row.map(VPCNetwork.init(row:)) else { return .snooze(settings.pollInterval) }
        let marked = { (outputs: StepOutputs) in outputs.merging(["vpc_shared": network.shared ? "true" : "false"]) { $1 } }
        if network.state == .ready { return .ready(marked(network.outputs)) }

        let engine = StepEngine(job: context, aws: access.aws, tags: network.tags, events: events, settings: settings)
        let name = network.shared ? Names.sharedNetwork(region: region) : Names.network(tenant: tenant.name, region: region)
        do {
            switch try engine.run(NetworkPlan.plan(network, name: name)) {
            case .snooze(let seconds): return .snooze(seconds)
            case .stopped: return .snooze(settings.pollInterval)
            case .finished(let outputs):
                try finishVPC(network, context, state: .ready, outputs: marked(outputs), error: nil)
                return .ready(marked(outputs))
            }
        } catch let error as JobError where !error.isRetryable {
            try finishVPC(network, context, state: .error, outputs: [:], error: error.message)
            throw error
        }
    }

    private func finishVPC(_ network: VPCNetwork, _ context: JobContext, state: SharedNetwork.State, outputs: StepOutputs,
                           error: String?) throws {
        let changed = try context.withConnection {
            try $0.execute(ProvisioningSQL.finishVPCNetwork, [network.id, state, encodeOutputs(outputs), error, context.job.id, context.leaseToken])
        }
        if changed == 0 { throw JobInterrupted(reason: .leaseLost) }
    }

    private func finish(_ connection: Connection, _ context: JobContext, tenantId: UUID, region: String, state: SharedNetwork.State,
                        outputs: StepOutputs, error: String?) throws {
        let changed = try connection.execute(ProvisioningSQL.finishNetwork, [
            tenantId, region, state, encodeOutputs(outputs), error, context.job.id, context.leaseToken,
        ])
        if changed == 0 { throw JobInterrupted(reason: .leaseLost) }
    }
}
