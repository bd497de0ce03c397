/// Where a cluster's scheduler and workers run: ECS/Fargate tasks or EC2 instances. Each has
/// a `ClusterBackend` (Backends/) that knows its steps; `implementation` is the one place that
/// maps one to the other.
public enum Backend: String, TextEnum {
    case ecs, vm
    public static let noun = "backend"
    /// The system's default, as the SQL API's (`berth.resolve_spec`).
    public static let fallback = Backend.ecs
}
