import AWS

extension WorkerRole {
    /// The first step of every backend's create plan: a cluster with a worker role checks,
    /// before it makes anything, that the role is in the account of the tenant's key (that of
    /// the tenant's execution role; the SQL API could check this only where the tenant's
    /// account was known) and that it exists.
    static func checkStep(cluster: Cluster) -> Step {
        Step("worker_role", .check) { ctx in
            guard let arn = cluster.spec.workerRoleArn else { return .done([:]) }
            let role = try WorkerRole(parsing: arn, what: "worker_role_arn")
            let account = try ctx.require("execution_role_arn").split(separator: ":", omittingEmptySubsequences: false)
                .dropFirst(4).first.map(String.init)
            do {
                try role.check(account: account, tenant: cluster.tenant, what: "worker_role_arn")
            } catch {
                throw StepFailure("\(error)")
            }
            if try tolerate([.notFound], { try ctx.aws.getRole(name: role.name) }) == nil {
                throw StepFailure("worker_role_arn \(Quoting.quote(arn)): no role named \(role.name) in account \(role.account); create it, or change the spec or the tenant's worker role")
            }
            return .done(["worker_role_arn": arn])
        }
    }
}
