import Postgres

extension TenantStore {
    /// A tenant's limits and what its live clusters hold now.
    public func quotas(of name: String) throws -> (quotas: TenantQuotas, use: TenantQuotaUse) {
        guard let row = try connection.queryRow(ProvisioningSQL.tenantQuotas, [name]) else {
            throw ProvisioningError.invalid("unknown tenant \(Quoting.quote(name)) (see `berth tenant list`)")
        }
        return (try TenantQuotas(row: row), try TenantQuotaUse(row: row))
    }

    /// Changes the limits `change` names (the others stay) and returns them all. Live clusters
    /// over a lowered limit keep running; the next create is refused.
    @discardableResult
    public func updateQuotas(of name: String, _ change: TenantQuotas.Change) throws -> (quotas: TenantQuotas, use: TenantQuotaUse) {
        let limits = [change.maxClusters, change.maxWorkers, change.maxVcpus, change.maxGpuWorkers]
        var params: [any PostgresEncodable] = [name]
        for limit in limits { params.append(limit != nil) }
        for limit in limits { params.append(limit?.value) }
        guard try connection.queryRow(ProvisioningSQL.updateTenantQuotas, params) != nil else {
            throw ProvisioningError.invalid("unknown tenant \(Quoting.quote(name)) (see `berth tenant list`)")
        }
        return try quotas(of: name)
    }
}
