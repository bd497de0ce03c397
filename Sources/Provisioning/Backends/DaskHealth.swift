import AWS

/// How Berth knows a Dask process serves: its HTTP `/health` on the dashboard port answers.
/// Probed with the image's own Python (Dask's images have no curl).
enum DaskHealth {
    static let probe = "import urllib.request; urllib.request.urlopen('http://localhost:\(DaskScheduler.dashboardPort)/health', timeout=4)"

    /// The containers' check on ECS: the task's healthStatus turns HEALTHY once it passes.
    /// The start period covers the image's start (import of dask and distributed).
    static let containerCheck = ContainerHealthCheck(command: ["CMD", "python", "-c", probe],
                                                     interval: 5, timeout: 5, retries: 3, startPeriod: 60)
}
