/// The Dask scheduler every backend runs: its ports, its command, and the addresses a create
/// plan leaves for the create job (`ClusterBackend.createSteps`).
enum DaskScheduler {
    static let port = 8786
    static let dashboardPort = 8787

    static let command = ["dask", "scheduler", "--port", "\(port)", "--dashboard-address", ":\(dashboardPort)"]

    /// `scheduler_address` and, when the scheduler has a public IP, `scheduler_public_address`.
    static func outputs(privateIP: String, publicIP: String?) -> StepOutputs {
        var outputs = ["scheduler_address": "tcp://\(privateIP):\(port)"]
        if let publicIP, !publicIP.isEmpty { outputs["scheduler_public_address"] = "tcp://\(publicIP):\(port)" }
        return outputs
    }
}
