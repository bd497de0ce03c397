/// The container image a cluster runs when its spec names none, on ECS and VMs alike: Dask's
/// official image at a fixed release and Python version. A floating tag (`latest`) would
/// change under running clusters, and a client must run the same Python minor version as the
/// cluster (cloudpickle) and a compatible Dask. This is the one place that names it; the
/// emulator's compute emulation maps the same tag to its local Dask environment
/// (scripts/emulator/berth_emulator/compute/images.py; `DaskImageTests` checks they agree).
public enum DaskImage {
    public static let `default` = "ghcr.io/dask/dask:2026.7.1-py3.12"

    /// The image GPU workers run (VM backend only; the scheduler keeps `default`): RAPIDS's base
    /// image, release 26.10, for CUDA 12 (RAPIDS tags name only the CUDA major since 25.12) and
    /// Python 3.12. It carries dask-cuda 26.10, and RAPIDS 26.08/26.10 pin `dask` and
    /// `distributed` to `>=2026.7.1,<2026.7.2` (rapids-dask-dependency): the same Dask and
    /// Python as `default`, so one scheduler and one client serve CPU and GPU workers alike.
    /// The emulator maps it too (images.py: `GPU_IMAGE`; `DaskImageTests` checks they agree).
    public static let gpuDefault = "rapidsai/base:26.10-cuda12-py3.12"

    /// The image a worker runs: GPU workers the GPU image, others the CPU one.
    public static func worker(gpu: Bool) -> String { gpu ? gpuDefault : `default` }

    /// The Dask release of an official image tag (`2026.7.1` in `…:2026.7.1-py3.12`), if it has one.
    public static func daskVersion(of image: String) -> String? {
        guard let parts = tagParts(image), parts.count == 2 else { return nil }
        return parts[0]
    }

    /// The Python minor version of an image tag ending `-pyX.Y` (`3.12` in `…:2026.7.1-py3.12`
    /// and in RAPIDS's `…:26.10-cuda12-py3.12`), if it has one.
    public static func pythonVersion(of image: String) -> String? {
        guard let parts = tagParts(image), parts.count >= 2, let last = parts.last, last.hasPrefix("py") else { return nil }
        return String(last.dropFirst(2))
    }

    private static func tagParts(_ image: String) -> [String]? {
        guard let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") else { return nil }
        let parts = image[image.index(after: colon)...].split(separator: "-").map(String.init)
        guard parts.count >= 2, parts.last?.hasPrefix("py") == true else { return nil }
        return parts
    }
}
