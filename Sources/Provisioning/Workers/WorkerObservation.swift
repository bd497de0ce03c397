/// One worker as AWS shows it while a converge waits for its new workers.
public enum WorkerObservation: Sendable, Equatable {
    /// Not running yet (or not visible yet: a new task or instance takes a moment to show).
    case starting
    /// Running (on ECS: and Dask's health check passes).
    case running
    /// Stopped, or failed its health check, before it ran; AWS's reason.
    case failed(String)
}
