/// The Dask worker every backend runs: its command line, and the HTTP `/health` it serves (as
/// the scheduler does) on the dashboard port, which is each worker's own on ECS (a task per
/// worker) and on VMs (an instance per worker).
enum DaskWorker {
    /// A worker that cannot reach its scheduler for this long exits, and its task or instance
    /// with it, instead of idling on a bill.
    static let deathTimeout = 60

    /// `dask worker …`; `name` ties the worker to its task or instance in the scheduler's view.
    /// A GPU worker (VM backend, `DaskImage.gpuDefault`) runs dask-cuda's `dask cuda worker`,
    /// which pins the worker to its GPU (CUDA_VISIBLE_DEVICES, RMM) and takes the same flags; it
    /// advertises the resource `GPU=1` so tasks submitted with `resources={"GPU": 1}` go to it.
    static func command(scheduler: String, name: String, spec: ClusterSpec) -> [String] {
        let gpu = spec.workerGpus > 0
        return ["dask"] + (gpu ? ["cuda", "worker"] : ["worker"]) + [scheduler, "--name", name,
            "--nthreads", "\(max(1, Int(spec.workerCpu)))", "--memory-limit", "\(Int(spec.workerMemory * 1024))MiB",
            "--death-timeout", "\(deathTimeout)", "--dashboard-address", ":\(DaskScheduler.dashboardPort)"]
            + (gpu ? ["--resources", "GPU=\(spec.workerGpus)"] : [])
    }
}
