/// The container image a cluster runs when its spec names none, on ECS and VMs alike: Dask's
/// official image at a fixed release and Python version. A floating tag (`latest`) would
/// change under running clusters, and a client must run the same Python minor version as the
/// cluster (cloudpickle) and a compatible Dask. This is the one place that names it; the
/// emulator's compute emulation maps the same tag to its local Dask environment
/// (scripts/emulator/berth_emulator/compute/images.py; `DaskImageTests` checks they agree).
public enum DaskImage {
    public static let `default` = "ghcr.io/dask/dask:2026.7.1-py3.12"

    /// GPU workers need CUDA libraries and dask-cuda, which the pinned image lacks; a GPU image
    /// (RAPIDS's) pins its own Dask release, which a cluster's scheduler and its clients would
    /// then have to run too. Until one is chosen for whole GPU clusters, they are refused.
    public static let gpuUnavailable = "GPU workers are not available yet: the pinned Dask image \(DaskImage.default) has no CUDA "
        + "libraries or dask-cuda, and no GPU image running the same Dask and Python release has been chosen (RAPIDS images pin "
        + "their own Dask release, which the scheduler and every client would have to match); create the cluster with worker_gpus 0"

    /// The Dask release of an official image tag (`2026.7.1` in `…:2026.7.1-py3.12`), if it has one.
    public static func daskVersion(of image: String) -> String? {
        tagParts(image)?.dask
    }

    /// The Python minor version of an official image tag (`3.12` in `…:2026.7.1-py3.12`), if it has one.
    public static func pythonVersion(of image: String) -> String? {
        tagParts(image)?.python
    }

    private static func tagParts(_ image: String) -> (dask: String, python: String)? {
        guard let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") else { return nil }
        let tag = image[image.index(after: colon)...].split(separator: "-", maxSplits: 1)
        guard tag.count == 2, tag[1].hasPrefix("py") else { return nil }
        return (String(tag[0]), String(tag[1].dropFirst(2)))
    }
}
