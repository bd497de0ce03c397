import Foundation
import Postgres

/// A request for a cluster built from layers, highest first (docs/provisioning.md §10):
///
/// 1. `overrides`: the CLI's flags, which replace the spec's keys;
/// 2. the keys of `spec`;
/// 3. `defaults`: the caller's own defaults (the environment over the config file), which fill
///    keys the spec lacks;
/// 4. the tenant's defaults, then 5. the system's, both applied by `berth.resolve_spec`.
///
/// Layers 1-3 are merged in Postgres (`defaults || spec || overrides`), so the spec stays the
/// text given and any valid JSON reaches the SQL API's checks: `{"workers": 1e400}` gets
/// "workers must be between 0 and 100", not a parse error.
public struct ClusterRequest: Sendable {
    public struct Overrides: Sendable, Equatable {
        public var backend: String?
        public var region: String?
        public var workers: Int?
        public var fargateSpot: Bool?

        public init(backend: String? = nil, region: String? = nil, workers: Int? = nil, fargateSpot: Bool? = nil) {
            self.backend = backend
            self.region = region
            self.workers = workers
            self.fargateSpot = fargateSpot
        }
    }

    public var tenant: String
    public var name: String
    public var spec: String
    public var overrides: Overrides
    public var defaults: BackendOptions

    public init(tenant: String, name: String, spec: String = "{}", overrides: Overrides = Overrides(), defaults: BackendOptions = BackendOptions()) {
        self.tenant = tenant
        self.name = name
        self.spec = spec
        self.overrides = overrides
        self.defaults = defaults
    }

    /// The objects merged around the spec: `defaults` fills the keys it lacks and `overrides`
    /// replaces keys. A configured `fargate_spot` is an ECS option: it applies only when the
    /// cluster ends up on ecs, decided as the SQL API will (flag, spec, configured backend,
    /// `tenantBackend`, ecs), so it cannot break a vm tenant's clusters. `tenantBackend` is nil
    /// when the caller may not read `berth.tenants` (a back-office role).
    public func layers(tenantBackend: Backend?) -> (defaults: JSONText, overrides: JSONText) {
        var defaults: [String: Any] = [:]
        var replaced: [String: Any] = [:]
        if let backend = overrides.backend { replaced["backend"] = backend } else if let value = self.defaults.backend { defaults["backend"] = value }
        if let region = overrides.region { replaced["region"] = region } else if let value = self.defaults.region { defaults["region"] = value }
        if let workers = overrides.workers { replaced["workers"] = workers }
        if let fargateSpot = overrides.fargateSpot {
            replaced["fargate_spot"] = fargateSpot
        } else if let value = self.defaults.fargateSpot, effectiveBackend(tenantBackend: tenantBackend) == Backend.ecs.rawValue {
            defaults["fargate_spot"] = value
        }
        return ((try? JSONText(object: defaults)) ?? JSONText("{}"), (try? JSONText(object: replaced)) ?? JSONText("{}"))
    }

    /// The backend the cluster will get. A spec Foundation cannot read (1e400) is judged by
    /// Postgres later; its backend counts as not given here.
    func effectiveBackend(tenantBackend: Backend?) -> String {
        let given = (try? JSONSerialization.jsonObject(with: Data(spec.utf8))) as? [String: Any]
        // A key set to null counts as not given, but still hides the configured default.
        let specBackend = given?.keys.contains("backend") == true ? given?["backend"] as? String : defaults.backend
        return overrides.backend ?? specBackend ?? tenantBackend?.rawValue ?? Backend.fallback.rawValue
    }

}
