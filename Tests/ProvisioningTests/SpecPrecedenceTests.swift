import Foundation
import Postgres
import Provisioning
import Testing

/// Where a new cluster's and tenant's settings come from, without a database: flags, then the
/// spec's keys, then the caller's defaults (the environment over the config file), then the
/// tenant's and the system's (those two are `berth.resolve_spec`'s, tested in
/// SpecValidationTests; the whole chain through the CLI in CLITests.ConfigFileTests).
@Suite struct SpecPrecedenceTests {
    /// The two objects as JSON text (sorted keys), as they go to the database.
    static func layers(_ request: ClusterRequest, tenant: Backend? = .ecs) -> (defaults: String, overrides: String) {
        let layers = request.layers(tenantBackend: tenant)
        return (layers.defaults.text, layers.overrides.text)
    }

    @Test func theEnvironmentBeatsTheFile() {
        let file = BackendOptions(backend: "vm", region: "us-west-1", fargateSpot: true)
        let environment = BackendOptions(region: "eu-central-1", fargateSpot: false)
        #expect(environment.over(file) == BackendOptions(backend: "vm", region: "eu-central-1", fargateSpot: false))
        #expect(BackendOptions().over(file) == file)
    }

    /// Flags replace the spec's keys; configured options only fill keys the spec lacks.
    @Test func flagsReplaceAndDefaultsFill() throws {
        let configured = BackendOptions(backend: "ecs", region: "us-west-1", fargateSpot: true)
        let plain = Self.layers(ClusterRequest(tenant: "t", name: "c", defaults: configured))
        #expect(plain.defaults == #"{"backend":"ecs","fargate_spot":true,"region":"us-west-1"}"#)
        #expect(plain.overrides == "{}")
        let flagged = Self.layers(ClusterRequest(tenant: "t", name: "c", spec: #"{"region": "us-east-1"}"#,
                                                     overrides: .init(region: "eu-west-2", workers: 7, fargateSpot: false),
                                                     defaults: configured))
        #expect(flagged.overrides == #"{"fargate_spot":false,"region":"eu-west-2","workers":7}"#)
        #expect(flagged.defaults == #"{"backend":"ecs"}"#)
        #expect(Self.layers(ClusterRequest(tenant: "t", name: "c")) == ("{}", "{}"))
    }

    /// A configured fargate_spot is an ECS option: it applies only where the cluster ends up on
    /// ecs, decided as the SQL API will (flag, spec, configured backend, tenant, ecs).
    @Test(arguments: [
        // (flag backend, spec, configured backend, tenant's backend, applies)
        (nil, "{}", nil, Backend.vm, false),
        (nil, "{}", nil, Backend.ecs, true),
        (nil, "{}", nil, nil, true),                           // a role that cannot read tenants: ecs assumed
        ("ecs", "{}", nil, Backend.vm, true),
        ("vm", "{}", nil, Backend.ecs, false),
        (nil, #"{"backend": "vm"}"#, "ecs", Backend.ecs, false),
        (nil, #"{"backend": "ecs"}"#, "vm", Backend.vm, true),
        (nil, "{}", "vm", Backend.ecs, false),
        (nil, #"{"backend": null}"#, "vm", Backend.ecs, true),  // null: not given, and it hides the configured vm
        (nil, #"{"workers": 1e400}"#, "vm", Backend.ecs, false), // unreadable here: the configured backend counts
    ] as [(String?, String, String?, Backend?, Bool)])
    func configuredFargateSpotFollowsTheBackend(flag: String?, spec: String, configured: String?, tenant: Backend?, applies: Bool) throws {
        let request = ClusterRequest(tenant: "t", name: "c", spec: spec, overrides: .init(backend: flag),
                                     defaults: BackendOptions(backend: configured, fargateSpot: true))
        let layers = Self.layers(request, tenant: tenant)
        #expect(layers.defaults.contains(#""fargate_spot":true"#) == applies, "\(layers)")
        // A flag always wins, whatever the backend (the SQL API refuses it on vm).
        let flagged = ClusterRequest(tenant: "t", name: "c", spec: spec, overrides: .init(backend: flag, fargateSpot: true),
                                     defaults: BackendOptions(backend: configured, fargateSpot: false))
        #expect(Self.layers(flagged, tenant: tenant).overrides.contains(#""fargate_spot":true"#))
    }

    @Test func tenantDefaultsComeFromFlagsThenConfiguredOptions() throws {
        let configured = BackendOptions(backend: "ecs", region: "us-west-1", fargateSpot: true)
        let plain = try TenantStore.NewTenant(name: "acme", backend: nil, region: nil, fargateSpot: false, defaults: configured)
        #expect(plain.defaultBackend == .ecs && plain.defaultRegion == "us-west-1" && plain.defaultFargateSpot == true && plain.mode == .managed)
        let flagged = try TenantStore.NewTenant(name: "acme", own: true, backend: "vm", region: "eu-west-2", fargateSpot: false,
                                                gpuAccess: true, defaults: configured)
        // The configured fargate_spot does not follow a tenant onto vm.
        #expect(flagged.defaultBackend == .vm && flagged.defaultRegion == "eu-west-2" && flagged.defaultFargateSpot == nil)
        #expect(flagged.mode == .own && flagged.gpuAccess)
        let system = try TenantStore.NewTenant(name: "acme", backend: nil, region: nil, fargateSpot: false, defaults: BackendOptions())
        #expect(system.defaultBackend == .ecs && system.defaultRegion == nil && system.defaultFargateSpot == nil)
        #expect(throws: ProvisioningError.invalid("backend must be ecs or vm, got 'k8s'")) {
            try TenantStore.NewTenant(name: "acme", backend: nil, region: nil, fargateSpot: false, defaults: BackendOptions(backend: "k8s"))
        }
        let spotOnVM = try TenantStore.NewTenant(name: "acme", backend: "vm", region: nil, fargateSpot: true, defaults: BackendOptions())
        #expect(throws: ProvisioningError.invalid("--fargate-spot applies to the ecs backend only")) { try spotOnVM.validate() }
    }
}
