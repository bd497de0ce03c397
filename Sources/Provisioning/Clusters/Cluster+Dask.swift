import Foundation

extension Cluster {
    /// The container image the cluster's Dask processes run: on ECS the spec's (the SQL API
    /// fills in the pinned default), on VMs, whose `image` is the AMI, the pinned default.
    public var daskImage: String {
        backend == .ecs ? (spec.image ?? DaskImage.default) : DaskImage.default
    }

    /// The container image the cluster's workers run: on a VM cluster with GPU workers the
    /// pinned GPU image (the scheduler keeps `daskImage`, which runs the same Dask and Python),
    /// otherwise `daskImage`.
    public var workerDaskImage: String {
        backend == .vm && spec.workerGpus > 0 ? DaskImage.worker(gpu: true) : daskImage
    }

    /// The scheduler's dashboard, on the host of the scheduler address (`tcp://host:8786`).
    public var dashboardURL: String? {
        guard let address = schedulerAddress, let url = URL(string: address), let host = url.host, !host.isEmpty else { return nil }
        return "http://\(host):\(DaskScheduler.dashboardPort)/status"
    }
}
