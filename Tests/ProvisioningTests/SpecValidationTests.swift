import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// The SQL API's input checks (`berth.create_cluster` → `berth.resolve_spec`): every bad request
/// raises SQLSTATE 22023 with a message that says what is wrong and what is allowed, and writes
/// nothing; good requests get every default filled in (request → tenant → system).
@Suite struct SpecValidationTests {
    /// One database per case (no emulator needed): bad input must leave it untouched.
    final class World: @unchecked Sendable {
        let db: TestDatabase
        let connection: Connection

        init() throws {
            db = try TestDatabase.create()
            connection = try db.connect()
        }

        private init(sharing other: World) throws {
            db = other.db
            connection = try other.db.connect()
        }

        /// The bad cases share one database (cloning one per case serialises on the template
        /// and took seconds): none may write, so the counts stay at the one cluster made here,
        /// the live `c1` of tenant `taken` that the duplicate-name case runs into.
        private static let shared = Result { () throws -> World in
            let world = try World()
            try world.createCluster(tenant: try world.tenant("taken").name, name: "c1", spec: "{}")
            return world
        }

        /// A connection of its own to the shared database (cases run in parallel).
        static func forBadCases() throws -> World { try World(sharing: try shared.get()) }

        /// As a back office calls it (no client-side redaction: the server's message as is).
        static let createCluster = SQL("test_create_cluster", "select berth.create_cluster($1, $2, $3::jsonb) as id",
                                       redactsParameters: false)

        @discardableResult
        func createCluster(tenant: String, name: String, spec: String) throws -> UUID {
            try connection.queryRow(Self.createCluster, [tenant, name, JSONText(spec)])!.decode("id")
        }

        func tenant(_ name: String, gpuAccess: Bool = false, backend: String = "ecs", region: String? = nil,
                    fargateSpot: Bool? = nil) throws -> Tenant {
            var tenant = TenantStore.NewTenant(name: name)
            tenant.gpuAccess = gpuAccess
            tenant.defaultBackend = try Backend(parsing: backend)
            tenant.defaultRegion = region
            tenant.defaultFargateSpot = fargateSpot
            return try TenantStore(connection).create(tenant)
        }

        /// Rows in every table a create writes to.
        func counts() throws -> [Int] {
            let row = try connection.queryRow(SQL("test_counts", """
                select (select count(*) from berth.clusters) as clusters, (select count(*) from berth.jobs) as jobs,
                       (select count(*) from berth.events) as events
                """))!
            return [try row.decode("clusters"), try row.decode("jobs"), try row.decode("events")]
        }

        func spec(of id: UUID) throws -> [String: Any] {
            let row = try connection.queryRow(SQL("test_spec", "select spec, region, backend from berth.clusters where id = $1"), [id])!
            let spec: JSONText = try row.decode("spec")
            let object = try #require(try spec.object() as? [String: Any])
            // The columns say what the spec says.
            #expect(try row.decode("region", as: String.self) == object["region"] as? String)
            #expect(try row.decode("backend", as: String.self) == object["backend"] as? String)
            return object
        }
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var label: String
        var spec: String
        var phrases: [String]
        var name = "c1"
        /// Who asks: the case's tenant (`nil`) or another name (unknown tenant, or `taken`,
        /// which has a live `c1`).
        var tenant: String?
        var gpuAccess = false
        var testDescription: String { label }
    }

    static let allowedKeys = "allowed keys: backend, region, fargate_spot, spot, workers, worker_cpu, scheduler_cpu, worker_memory, scheduler_memory, worker_gpus, worker_instance_type, scheduler_instance_type, image, ingress_cidrs, worker_role_arn"
    static let regions = "supported regions: us-east-1, us-east-2, us-west-1, eu-central-1, eu-west-2"

    static let badCases: [BadCase] = [
        BadCase(label: "unknown key", spec: #"{"wrokers": 3}"#, phrases: ["unknown spec key(s): 'wrokers'", allowedKeys]),
        BadCase(label: "two unknown keys", spec: #"{"zone": "a", "nodes": 3, "workers": 1}"#, phrases: ["'nodes', 'zone'", allowedKeys]),
        BadCase(label: "spec not an object", spec: "[1]", phrases: ["spec must be a JSON object, got array"]),
        BadCase(label: "unsupported region", spec: #"{"region": "ap-south-1"}"#,
                phrases: ["region 'ap-south-1' is not supported", regions]),
        BadCase(label: "region not a string", spec: #"{"region": 2}"#, phrases: ["region must be a string"]),
        BadCase(label: "unknown backend", spec: #"{"backend": "k8s"}"#, phrases: [#"backend must be "ecs" or "vm""#]),
        BadCase(label: "workers as a string", spec: #"{"workers": "3"}"#, phrases: ["workers must be a number, got '3' (string)"]),
        BadCase(label: "fargate_spot as a number", spec: #"{"fargate_spot": 1}"#, phrases: ["fargate_spot must be true or false, got 1 (number)"]),
        BadCase(label: "fargate_spot as a string", spec: #"{"fargate_spot": "true"}"#, phrases: ["fargate_spot must be true or false"]),
        BadCase(label: "ingress_cidrs not a list", spec: #"{"ingress_cidrs": "10.0.0.0/8"}"#,
                phrases: ["ingress_cidrs must be a list of IPv4 CIDRs"]),
        BadCase(label: "workers -1", spec: #"{"workers": -1}"#, phrases: ["workers must be between 0 and 100, got -1"]),
        BadCase(label: "workers 101", spec: #"{"workers": 101}"#, phrases: ["workers must be between 0 and 100, got 101"]),
        BadCase(label: "workers 2.5", spec: #"{"workers": 2.5}"#, phrases: ["workers must be a whole number, got 2.5"]),
        BadCase(label: "Fargate 1 vCPU / 1 GiB", spec: #"{"worker_cpu": 1, "worker_memory": 1}"#,
                phrases: ["Fargate does not offer 1 vCPU with 1 GiB (worker_cpu/worker_memory)", "2 to 8 in steps of 1"]),
        BadCase(label: "Fargate 4 vCPU / 64 GiB", spec: #"{"worker_cpu": 4, "worker_memory": 64}"#,
                phrases: ["Fargate does not offer 4 vCPU with 64 GiB", "8 to 30"]),
        BadCase(label: "Fargate 8 vCPU / 18 GiB", spec: #"{"scheduler_cpu": 8, "scheduler_memory": 18}"#,
                phrases: ["Fargate does not offer 8 vCPU with 18 GiB (scheduler_cpu/scheduler_memory)", "16 to 60 in steps of 4"]),
        BadCase(label: "Fargate 0.3 vCPU", spec: #"{"worker_cpu": 0.3}"#,
                phrases: ["worker_cpu must be one of Fargate's sizes 0.25, 0.5, 1, 2, 4, 8, 16"]),
        BadCase(label: "Fargate 32 vCPU", spec: #"{"scheduler_cpu": 32}"#, phrases: ["scheduler_cpu must be between 0.25 and 16"]),
        BadCase(label: "fargate_spot on vm", spec: #"{"backend": "vm", "fargate_spot": true}"#,
                phrases: ["fargate_spot applies to the ecs backend only", #""spot": true"#]),
        BadCase(label: "spot on ecs", spec: #"{"spot": true}"#,
                phrases: ["spot applies to the vm backend only", #""fargate_spot": true"#]),
        BadCase(label: "two GPUs", spec: #"{"backend": "vm", "worker_gpus": 2}"#,
                phrases: ["workers currently have access to a single GPU", "worker_gpus must be 0 or 1"], gpuAccess: true),
        BadCase(label: "GPUs on ecs", spec: #"{"worker_gpus": 1}"#,
                phrases: ["GPU workers need the vm backend", #""backend": "vm""#], gpuAccess: true),
        BadCase(label: "GPUs without GPU access", spec: #"{"backend": "vm", "worker_gpus": 1}"#,
                phrases: ["has no GPU access", "--gpu-access"]),
        BadCase(label: "instance type on ecs", spec: #"{"worker_instance_type": "m6i.xlarge"}"#,
                phrases: ["instance types apply to the vm backend only", "worker_cpu/worker_memory"]),
        BadCase(label: "scheduler instance type on ecs", spec: #"{"scheduler_instance_type": "m6i.large"}"#,
                phrases: ["instance types apply to the vm backend only"]),
        BadCase(label: "malformed instance type", spec: #"{"backend": "vm", "worker_instance_type": "big"}"#,
                phrases: ["worker_instance_type must be an EC2 instance type"]),
        BadCase(label: "empty CIDR list", spec: #"{"ingress_cidrs": []}"#,
                phrases: ["ingress_cidrs must hold at least one CIDR"]),
        BadCase(label: "CIDR with host bits", spec: #"{"ingress_cidrs": ["10.0.0.1/8"]}"#,
                phrases: ["ingress_cidrs entry '10.0.0.1/8' is not a CIDR in canonical form", "did you mean '10.0.0.0/8'?"]),
        BadCase(label: "CIDR with leading zeros", spec: #"{"ingress_cidrs": ["010.0.0.0/8"]}"#,
                phrases: ["ingress_cidrs entry '010.0.0.0/8' is not a CIDR in canonical form", "no leading zeros", "did you mean '10.0.0.0/8'?"]),
        BadCase(label: "CIDR without a prefix", spec: #"{"ingress_cidrs": ["203.0.113.7"]}"#,
                phrases: ["'203.0.113.7' is not a CIDR in canonical form", "did you mean '203.0.113.7/32'?"]),
        BadCase(label: "CIDR abbreviated", spec: #"{"ingress_cidrs": ["10/8"]}"#, phrases: ["'10/8'", "did you mean '10.0.0.0/8'?"]),
        BadCase(label: "CIDR with a space", spec: #"{"ingress_cidrs": ["10.0.0.0/8 "]}"#,
                phrases: ["ingress_cidrs entries must be IPv4 CIDRs such as '203.0.113.0/24', got '10.0.0.0/8 '"]),
        BadCase(label: "CIDR octet over 255", spec: #"{"ingress_cidrs": ["203.0.113.0/24", "300.0.0.0/8"]}"#,
                phrases: [#"ingress_cidrs entries must be IPv4 CIDRs"#, "300.0.0.0/8"]),
        BadCase(label: "IPv6 CIDR", spec: #"{"ingress_cidrs": ["::/0"]}"#, phrases: ["ingress_cidrs entries must be IPv4 CIDRs", "::/0"]),
        BadCase(label: "CIDR not a string", spec: #"{"ingress_cidrs": [10]}"#, phrases: ["ingress_cidrs entries must be IPv4 CIDRs"]),
        BadCase(label: "uppercase cluster name", spec: "{}", phrases: ["cluster name 'Big_Cluster' is not allowed", "lowercase letters"],
                name: "Big_Cluster"),
        BadCase(label: "cluster name starting with a dash", spec: "{}", phrases: ["cluster name '-c1' is not allowed"], name: "-c1"),
        BadCase(label: "cluster name of 64 characters", spec: "{}", phrases: ["(64 characters) is not allowed", "use 1-63"],
                name: String(repeating: "a", count: 64)),
        BadCase(label: "unknown tenant", spec: "{}", phrases: ["unknown tenant 'nobody-here'"], tenant: "nobody-here"),
        BadCase(label: "region with a trailing space", spec: #"{"region": "us-east-2 "}"#,
                phrases: ["region 'us-east-2 ' is not supported", regions]),
        BadCase(label: "image that is no reference", spec: #"{"image": "a::::@@@"}"#,
                phrases: ["image must be a container image reference [registry[:port]/]name[:tag][@digest]", "got 'a::::@@@'"]),
        BadCase(label: "image with an uppercase path", spec: #"{"image": "ghcr.io/Dask/dask:latest"}"#,
                phrases: ["image must be a container image reference", "lowercase", "got 'ghcr.io/Dask/dask:latest'"]),
        BadCase(label: "image with a space", spec: #"{"image": "dask "}"#, phrases: ["image must be a container image reference", "got 'dask '"]),
        BadCase(label: "image tag starting with a dot", spec: #"{"image": "dask:.x"}"#, phrases: ["image must be a container image reference"]),
        BadCase(label: "image tag of 129 characters", spec: #"{"image": "dask:\#(String(repeating: "t", count: 129))"}"#,
                phrases: ["image must be a container image reference"]),
        BadCase(label: "image digest too short", spec: #"{"image": "dask@sha256:abc"}"#, phrases: ["image must be a container image reference"]),
        BadCase(label: "image of 256 characters", spec: #"{"image": "\#(String(repeating: "a", count: 256))"}"#,
                phrases: ["of at most 255 characters", "(256 characters)"]),
        BadCase(label: "cluster name with control characters", spec: "{}",
                phrases: [#"cluster name 'a\u001b]0;pwned\u0007' is not allowed"#], name: "a\u{1b}]0;pwned\u{7}"),
        BadCase(label: "tenant name too short", spec: "{}", phrases: ["tenant name 'a' (1 character) is not allowed", "use 2-32 lowercase"],
                tenant: "a"),
        BadCase(label: "tenant name with capitals", spec: "{}", phrases: ["tenant name 'Acme' is not allowed", "2-32"], tenant: "Acme"),
        BadCase(label: "workers 1e400", spec: #"{"workers": 1e400}"#,
                phrases: ["workers must be between 0 and 100, got '1000", "…' (401 characters)"]),

        BadCase(label: "duplicate live name", spec: "{}",
                phrases: ["tenant 'taken' already has a cluster named 'c1'", "delete it first or pick another name"], tenant: "taken"),
    ]

    @Test(arguments: badCases)
    func badSpecIsRefusedAndWritesNothing(_ bad: BadCase) throws {
        let w = try World.forBadCases()
        let tenant = try w.tenant("acme-\(UUID().uuidString.prefix(8).lowercased())", gpuAccess: bad.gpuAccess)
        let before = try w.counts()
        #expect(before == [1, 1, 1])
        let error = try #require(throws: PostgresError.self) {
            try w.createCluster(tenant: bad.tenant ?? tenant.name, name: bad.name, spec: bad.spec)
        }
        #expect(error.sqlState == "22023", "\(error)")
        for phrase in bad.phrases {
            #expect(error.message.contains(phrase), "expected \(phrase) in: \(error.message)")
        }
        #expect(try w.counts() == before, "nothing written")
    }

    /// A megabyte of input gives a short error: the value is cut to 100 characters and its
    /// length named (`'aaaa…' (1048576 characters)`).
    @Test func hugeInputGivesAShortError() throws {
        let w = try World.forBadCases()
        let tenant = try w.tenant("huge-\(UUID().uuidString.prefix(8).lowercased())")
        let huge = String(repeating: "a", count: 1 << 20)
        let cases: [(tenant: String, name: String, spec: String, phrase: String)] = [
            (huge, "c1", "{}", "tenant name '"),
            (tenant.name, huge, "{}", "cluster name '"),
            (tenant.name, "c1", #"{"region": "\#(huge)"}"#, "region '"),
            (tenant.name, "c1", #"{"image": "\#(huge)"}"#, "image must be"),
            (tenant.name, "c1", #"{"\#(huge)": 1}"#, "unknown spec key(s): '"),
            (tenant.name, "c1", #"{"workers": "\#(huge)"}"#, "workers must be a number"),
            (tenant.name, "c1", #"{"ingress_cidrs": ["\#(huge)"]}"#, "ingress_cidrs entries must be IPv4 CIDRs"),
        ]
        for c in cases {
            let error = try #require(throws: PostgresError.self) { try w.createCluster(tenant: c.tenant, name: c.name, spec: c.spec) }
            #expect(error.sqlState == "22023")
            #expect(error.message.contains(c.phrase), "\(error.message.prefix(200))")
            #expect(error.message.contains(String(repeating: "a", count: 99) + "…' (1048576 characters)"), "\(error.message.prefix(300))")
            #expect(error.message.count < 600, "\(c.phrase): \(error.message.count) characters")
        }
        let unknown = try #require(throws: PostgresError.self) {
            try w.createCluster(tenant: tenant.name, name: "c1", spec: "{" + (1...25).map { #""k\#($0)": 1"# }.joined(separator: ", ") + "}")
        }
        #expect(unknown.message.contains("'k18' and 15 more; allowed keys"), "\(unknown.message)")
    }

    /// References in the grammar of github.com/distribution/reference are taken as given.
    @Test func imageReferencesFollowTheRegistryGrammar() throws {
        let w = try World()
        let tenant = try w.tenant("images")
        let digest = "sha256:" + String(repeating: "0123456789abcdef", count: 4)
        let good = ["dask", "python:3.12-slim", "docker.io/library/python:3.12", "ghcr.io/dask/dask:2024.1.0",
                    "localhost:5000/team/dask_base__v2:latest", "registry.example.com:443/a.b/c-d---e/f__g@\(digest)",
                    "Registry.Example.COM/dask:TAG_1.x", "[::1]:5000/dask", "dask:\(String(repeating: "t", count: 128))",
                    "dask:latest@\(digest)"]
        for (index, image) in good.enumerated() {
            let id = try w.createCluster(tenant: tenant.name, name: "c\(index)", spec: #"{"image": "\#(image)"}"#)
            #expect(try w.spec(of: id)["image"] as? String == image)
        }
    }

    /// Keys of a resolved ECS spec (nulls are stripped: no instance types, `spot` or
    /// `ingress_cidrs` unless given).
    static let ecsKeys: Set<String> = ["backend", "region", "fargate_spot", "workers", "worker_gpus", "worker_cpu", "worker_memory",
                                       "scheduler_cpu", "scheduler_memory", "image", "idle_timeout"]

    @Test func defaultsComeFromTheSystemWhenTheTenantHasNone() throws {
        let w = try World()
        let tenant = try w.tenant("plain")
        let spec = try w.spec(of: try w.createCluster(tenant: tenant.name, name: "c1", spec: "{}"))
        #expect(Set(spec.keys) == Self.ecsKeys)
        #expect(spec["backend"] as? String == "ecs")
        #expect(spec["region"] as? String == "us-east-2")
        #expect(spec["fargate_spot"] as? Bool == false)
        #expect(spec["workers"] as? Int == 2)
        #expect(spec["worker_gpus"] as? Int == 0)
        #expect(spec["worker_cpu"] as? Double == 1 && spec["worker_memory"] as? Double == 4)
        // The SQL default (migration 0008) and the Swift side name the same pinned image.
        #expect(spec["image"] as? String == DaskImage.default)
        #expect(try w.counts() == [1, 1, 1])
    }

    @Test func tenantDefaultsFillWhatTheSpecOmits() throws {
        let w = try World()
        let tenant = try w.tenant("eu", region: "eu-central-1", fargateSpot: true)
        let defaults = try w.spec(of: try w.createCluster(tenant: tenant.name, name: "c1", spec: #"{"workers": 3}"#))
        #expect(Set(defaults.keys) == Self.ecsKeys)
        #expect(defaults["region"] as? String == "eu-central-1")
        #expect(defaults["fargate_spot"] as? Bool == true)
        #expect(defaults["workers"] as? Int == 3)

        // The request beats the tenant's defaults.
        let overridden = try w.spec(of: try w.createCluster(tenant: tenant.name, name: "c2",
                                                           spec: #"{"region": "us-west-1", "fargate_spot": false}"#))
        #expect(overridden["region"] as? String == "us-west-1")
        #expect(overridden["fargate_spot"] as? Bool == false)

        // A VM cluster of the same tenant: no fargate_spot (it is an ECS option), spot false.
        let vm = try w.spec(of: try w.createCluster(tenant: tenant.name, name: "c3", spec: #"{"backend": "vm"}"#))
        #expect(vm["fargate_spot"] == nil)
        #expect(vm["spot"] as? Bool == false)
        #expect(vm["region"] as? String == "eu-central-1")
    }

    @Test func completeSpecsAreStoredAsGiven() throws {
        let w = try World()
        let tenant = try w.tenant("gpu", gpuAccess: true)
        let ecs = try w.spec(of: try w.createCluster(tenant: tenant.name, name: "e1", spec: """
            {"workers": 0, "worker_cpu": 0.25, "worker_memory": 0.5, "scheduler_cpu": 16, "scheduler_memory": 120,
             "ingress_cidrs": ["203.0.113.0/24", "0.0.0.0/0"], "image": "ghcr.io/dask/dask:2024.1.0", "region": null}
            """))
        #expect(Set(ecs.keys) == Self.ecsKeys.union(["ingress_cidrs"]))
        #expect(ecs["ingress_cidrs"] as? [String] == ["203.0.113.0/24", "0.0.0.0/0"])
        #expect(ecs["worker_cpu"] as? Double == 0.25 && ecs["worker_memory"] as? Double == 0.5)
        #expect(ecs["region"] as? String == "us-east-2", "null means the default")

        let vm = try w.spec(of: try w.createCluster(tenant: tenant.name, name: "v1", spec: """
            {"backend": "vm", "spot": true, "worker_gpus": 1, "worker_instance_type": "g4dn.xlarge",
             "scheduler_instance_type": "m6i.large", "image": "ami-0123456789abcdef0", "workers": 100}
            """))
        #expect(Set(vm.keys) == ["backend", "region", "spot", "workers", "worker_gpus", "worker_cpu", "worker_memory", "scheduler_cpu",
                                 "scheduler_memory", "worker_instance_type", "scheduler_instance_type", "image", "idle_timeout"])
        #expect(vm["worker_gpus"] as? Int == 1 && vm["spot"] as? Bool == true)
    }

    /// Whole numbers written with a fraction (`3.0`) are whole numbers: the stored spec must
    /// still decode (workers read it as `ClusterSpec`, whose counts are integers).
    @Test func wholeNumbersWithAFractionDecode() throws {
        let w = try World()
        let tenant = try w.tenant("floaty", gpuAccess: true)
        let id = try w.createCluster(tenant: tenant.name, name: "c1", spec: #"{"workers": 3.0, "worker_gpus": 0.0}"#)
        let cluster = try #require(try ClusterStore(w.connection).get(id: id))
        #expect(cluster.spec.workers == 3)
        #expect(cluster.spec.workerGpus == 0)
    }

    @Test func stoppedClustersFreeTheirName() throws {
        let w = try World()
        let tenant = try w.tenant("reuse")
        let first = try w.createCluster(tenant: tenant.name, name: "c1", spec: "{}")
        _ = try w.connection.execute(SQL("test_stop", "update berth.clusters set state = 'stopped' where id = $1"), [first])
        let second = try w.createCluster(tenant: tenant.name, name: "c1", spec: "{}")
        #expect(first != second)
    }

    @Test func cliCreateWithABadSpecExitsTwoWithTheMessage() throws {
        let w = try World()
        let tenant = try w.tenant("cli-tenant")
        let env = ["DATABASE_URL": w.db.url, "XDG_CONFIG_HOME": "/nonexistent-berth-config", "BERTH_REGION": "", "BERTH_FARGATE_SPOT": "",
                   "BERTH_BACKEND": ""]
        let cases: [([String], String)] = [
            (["--spec", #"{"worker_gpus": 2}"#], "workers currently have access to a single GPU"),
            (["--spec", #"{"worker_gpus": 1}"#], "GPU workers need the vm backend"),
            (["--backend", "vm", "--spec", #"{"worker_gpus": 1}"#], "has no GPU access"),
            (["--region", "mars-1"], "region 'mars-1' is not supported; " + Self.regions),
            (["--spec", #"{"ingress_cidrs": ["::/0"]}"#], "ingress_cidrs entries must be IPv4 CIDRs"),
            (["--spec", "[1]"], "--spec must be a JSON object"),
            (["--workers", "500"], "workers must be between 0 and 100"),
        ]
        for (arguments, message) in cases {
            let result = try runBerth(["cluster", "create", "c1", "--tenant", tenant.name] + arguments, environment: env)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(result.output.contains(message), "\(arguments): \(result.output)")
        }
        let unknown = try runBerth(["cluster", "create", "c1", "--tenant", "nobody-here"], environment: env)
        #expect(unknown.status == 2 && unknown.output.contains("unknown tenant 'nobody-here'"), "\(unknown.output)")
        #expect(try w.counts() == [0, 0, 0])
        let good = try runBerth(["cluster", "create", "c1", "--tenant", tenant.name, "--json"], environment: env)
        #expect(good.status == 0, "\(good.output)")
        #expect(try w.counts() == [1, 1, 1])
    }
}
