import Foundation
import Postgres

/// A region's VPC network (`berth.vpc_networks`): the VPC, its subnets, internet gateway and
/// route table, built once by whichever network job needs it first. Managed tenants share one
/// per region in the service's account (AWS allows 5 VPCs and 5 internet gateways per region
/// and account); an own-account tenant has its own in its account. Clusters are isolated from
/// each other by their own security groups (docs/security.md).
struct VPCNetwork {
    /// `shared:<region>` or `<tenant id>:<region>`.
    var id: String
    /// The owner; nil for the shared network, which is no one tenant's to delete.
    var tenantId: UUID?
    var state: SharedNetwork.State
    /// The network plan's outputs (`vpc_id`, `vpc_cidr`, `subnet_ids`, `zones`, …) once `ready`.
    var outputs: StepOutputs
    var error: String?

    var shared: Bool { tenantId == nil }
    /// The checkpoints' scope. An own-account tenant's is the one its whole network had before
    /// networks were shared, so a network built then resumes where it stopped.
    var scope: String { "network:\(id)" }
    var tags: Tags { tenantId.map { Tags(tenantId: $0) } ?? .shared }

    /// The VPC network (its id and owner) a tenant's clusters in `region` use, unless its row
    /// already names one (a managed tenant's network from before sharing keeps its own VPC).
    static func planned(for tenant: Tenant, region: String) -> (id: String, owner: UUID?) {
        switch tenant.awsMode {
        case .managed: ("shared:\(region)", nil)
        case .own: ("\(tenant.id.uuidString.lowercased()):\(region)", tenant.id)
        }
    }

}

extension VPCNetwork {
    init(row: Row) throws {
        id = try row.decode("id")
        tenantId = try row.decodeIfPresent("tenant_id")
        state = try row.decode("state", as: SharedNetwork.State.self)
        outputs = decodeOutputs(try row.decode("outputs", as: JSONText.self).text)
        error = try row.decodeIfPresent("error")
    }
}
