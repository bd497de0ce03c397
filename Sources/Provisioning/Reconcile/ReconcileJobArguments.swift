import Foundation

/// `cluster.reconcile` (written by `berth.ensure_reconcile`).
struct ReconcileJobArguments: JobArguments {
    var tenantId: UUID
    var region: String
    static let expected = "tenant_id (a uuid) and region"
    enum CodingKeys: String, CodingKey { case tenantId = "tenant_id", region }
}
