/// The Dask scheduler every backend runs: its ports, its command, and the addresses a create
/// plan leaves for the create job (`ClusterBackend.createSteps`).
enum DaskScheduler {
    static let port = 8786
    static let dashboardPort = 8787

    /// TLS only: the launcher (`DaskTLS`) adds the certificate files.
    static let command = ["dask", "scheduler", "--protocol", "tls", "--port", "\(port)", "--dashboard-address", ":\(dashboardPort)"]

    /// `command` with the spec's `idle_timeout`: Dask closes an idle scheduler itself, and its
    /// process then exits 0, which the reconcile reads as an idle stop (docs/provisioning.md).
    static func command(spec: ClusterSpec) -> [String] {
        guard let idle = spec.idleTimeoutSeconds else { return command }
        return command + ["--idle-timeout", "\(idle)s"]
    }

    /// `scheduler_address` and, when the scheduler has a public IP, `scheduler_public_address`.
    static func outputs(privateIP: String, publicIP: String?) -> StepOutputs {
        var outputs = ["scheduler_address": "tls://\(privateIP):\(port)"]
        if let publicIP, !publicIP.isEmpty { outputs["scheduler_public_address"] = "tls://\(publicIP):\(port)" }
        return outputs
    }
}
