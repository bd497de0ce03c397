/// Defaults for new clusters and tenants that a caller sets outside any one request: the CLI's
/// `BERTH_REGION` / `BERTH_BACKEND` / `BERTH_FARGATE_SPOT` and its config file's
/// `backend-options`. Values stay as given; the SQL API (or `TenantStore`) judges them.
public struct BackendOptions: Sendable, Equatable {
    public var backend: String?
    public var region: String?
    public var fargateSpot: Bool?

    public init(backend: String? = nil, region: String? = nil, fargateSpot: Bool? = nil) {
        self.backend = backend
        self.region = region
        self.fargateSpot = fargateSpot
    }

    /// These options where set, `lower`'s elsewhere (the environment over the config file).
    public func over(_ lower: BackendOptions) -> BackendOptions {
        BackendOptions(backend: backend ?? lower.backend, region: region ?? lower.region, fargateSpot: fargateSpot ?? lower.fargateSpot)
    }
}
