import AWS
import Foundation

/// Each cluster's TLS (either backend): its certificate authority and its Dask processes'
/// certificates, made once and sealed in `berth.cluster_tls` (`ClusterTLSStore`), and the
/// Secrets Manager secret `berth/<tenant>/<cluster id>/tls` that carries the scheduler's and
/// workers' keys to them (`DaskTLS`). The secret's resource policy lets the tenant's task
/// execution role (ECS reads `secrets` with it), instance role (the VM boot script) and, on a VM
/// cluster with a worker role, that role (its workers' instance profile) read it, so none of
/// them needs a policy of its own for it.
///
/// Idempotent: the authority is written `on conflict do nothing` and read back, so a step run
/// again after a crash finds the first attempt's; the secret's name is unique in the account
/// and region, and a resumed step adopts it by name (its value is the same stored keys).
enum ClusterTLSSecret {
    static func name(cluster: Cluster) -> String { "berth/\(cluster.tenant)/\(cluster.id.uuidString.lowercased())/tls" }

    static func step(cluster: Cluster) -> Step {
        Step("tls", .create) { ctx in
            let stored = try authority(ctx, cluster: cluster)
            let name = name(cluster: cluster)
            var arn = ctx.resumed ? try tolerate([.notFound], { try ctx.aws.describeSecret(name) })?.arn : nil
            if arn == nil {
                arn = try tolerate([.alreadyExists]) {
                    try ctx.aws.createSecret(name: name, secretString: try DaskTLS.secretValue(stored),
                                             description: "Berth: TLS keys of the Dask scheduler and workers of cluster \(cluster.tenant)/\(cluster.name)",
                                             clientRequestToken: ctx.clientToken(), tags: ctx.tags.tags(name: name))
                }?.arn
            }
            // The name is taken, so an earlier attempt made it.
            if arn == nil { arn = try ctx.aws.describeSecret(name).arn }
            guard let secret = arn else { throw RetryableStepError("the secret \(name) was not found after its create") }
            ctx.remember(["tls_secret_arn": secret])
            // A VM cluster's workers with a worker role run under that role's instance profile, so
            // their boot script reads the secret as the worker role.
            let workerRole = cluster.backend == .vm ? ctx.outputs["worker_role_arn"] : nil
            let readers = [ctx.outputs["execution_role_arn"], ctx.outputs["instance_role_arn"], workerRole]
                .compactMap { $0 }.filter { !$0.isEmpty }
            if !readers.isEmpty {
                try ctx.aws.putSecretResourcePolicy(secret, policy: readPolicy(roles: readers))
            }
            return .done(["tls_secret_arn": secret])
        }
    }

    /// The cluster's stored authority, made now if it has none. A worker without the master key
    /// the row is sealed under (or without any) leaves the job to one that has it.
    private static func authority(_ ctx: StepContext, cluster: Cluster) throws -> ClusterTLSStore.Stored {
        guard let keys = ctx.settings.masterKeys else {
            throw RetryableStepError("this worker has no usable BERTH_MASTER_KEY (\(ctx.settings.masterKeyProblem ?? "not set")), which seals the cluster's TLS keys; retrying until a worker that has it takes the job")
        }
        do {
            return try ctx.job.withConnection { try ClusterTLSStore($0).ensure(clusterId: cluster.id, keys: keys, now: Date()) }
        } catch SecretError.unknownKey(let id) {
            throw RetryableStepError("the cluster's TLS keys are sealed with master key \(id), which this worker lacks; retrying until a worker that has it takes the job")
        }
    }

    /// GetSecretValue for the tenant's roles, on this secret only.
    static func readPolicy(roles: [String]) -> String {
        let policy: [String: Any] = [
            "Version": "2012-10-17",
            "Statement": [[
                "Sid": "BerthDaskProcessesReadTheirKeys",
                "Effect": "Allow",
                "Principal": ["AWS": roles.count == 1 ? roles[0] as Any : roles as Any],
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            ] as [String: Any]],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: policy, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Deletes the secret (no recovery window) and the stored keys: once the cluster's
    /// processes are gone nothing needs them. "Not found" is done.
    static func deleteStep(cluster: Cluster) -> Step {
        Step("delete.tls", .check) { ctx in
            try tolerate([.notFound]) { try ctx.aws.deleteSecret(name(cluster: cluster)) }
            try ctx.job.withConnection { try ClusterTLSStore($0).delete(clusterId: cluster.id) }
            return .done([:])
        }
    }
}
