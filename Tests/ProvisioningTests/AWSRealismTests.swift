import AWS
import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// Berth against AWS as it really behaves (the emulator's realism layer, on for every test in
/// scripts/test): IAM propagation in a fresh account, shared networks under the VPC quota,
/// capacity in one zone, quotas, and lost answers on every create.
@Suite struct AWSRealismTests {
    /// A tenant's first cluster in a fresh account: ECS refuses the new service-linked role for
    /// a while (here 10-11 s, longer than building the network takes), and EC2 the new instance
    /// profile. Both are waited out, each with a `retry` event that names it, and the clusters
    /// end ready.
    @Test func firstClustersInAFreshAccountWaitOutIAMPropagation() throws {
        let h = try ProvisioningHarness()
        try h.realism(["propagation": ["min_seconds": 10, "max_seconds": 11]])
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let ecs = try h.create(tenant, "first", spec: #"{"workers": 1}"#)
        try h.waitFor(ecs, .ready, timeout: 120, worker: worker)
        let tenantEvents = try EventLog(h.connection).last(1000, filter: .init(tenant: tenant.name))
        let slr = try #require(tenantEvents.first { $0.type == "retry" && $0.data["cause"] == "propagation" }, "\(tenantEvents.map(\.message))")
        #expect(slr.step == "ecs_cluster" && slr.message.contains("the ECS service-linked role is not usable yet"), "\(slr.message)")
        #expect(slr.data["aws_code"] == "InvalidParameterException")

        // Another tenant's VM cluster: the network is ready, so its launch comes right after its
        // new instance profile is made.
        let second = try h.tenant()
        let vm = try h.create(second, "vm", spec: #"{"backend": "vm", "workers": 1}"#)
        try h.waitFor(vm, .ready, timeout: 120, worker: worker)
        let waits = try h.events(vm).filter { $0.type == "retry" && $0.data["cause"] == "propagation" }
        let text = try h.eventText(vm)
        #expect(waits.contains { $0.message.contains("instance profile") && $0.step == "scheduler_instance" }, "\(text)")
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'failed'") == 0)
    }

    /// AWS allows 5 VPCs and 5 internet gateways per region and account, and every managed
    /// tenant runs in the service's account: 8 managed tenants in one region share one network
    /// (a network each would fail at the sixth, the default VPC counting). Their clusters keep
    /// their own security groups, whose scheduler ports admit only the cluster itself (plus the
    /// spec's `ingress_cidrs`): another tenant's task cannot reach them by the rules. An
    /// own-account tenant in the same region keeps its own network in its account.
    @Test func eightManagedTenantsShareOneNetworkIsolatedBySecurityGroups() throws {
        let h = try ProvisioningHarness()
        let region = "eu-central-1"
        let tenants = try (0..<8).map { _ in try h.tenant() }
        var ids = try tenants.map { try h.create($0, "c", spec: #"{"workers": 1, "region": "\#(region)"}"#) }
        let open = try h.create(tenants[0], "open", spec: #"{"workers": 0, "region": "\#(region)", "ingress_cidrs": ["203.0.113.0/24"]}"#)
        ids.append(open)
        let own = try h.ownTenant("own-\(UUID().uuidString.prefix(6).lowercased())")
        let ownId = try h.create(own.tenant, "c", spec: #"{"workers": 1, "region": "\#(region)"}"#)
        let workers = try (0..<2).map { _ in try h.worker(concurrency: 12) }
        defer { for w in workers { w.signal(SIGKILL) } }
        for id in ids + [ownId] { try h.waitFor(id, .ready, timeout: 180, worker: workers[0]) }

        let aws = h.aws(region: region)
        let shared = EC2Filter.tag(Tags.network, Tags.sharedNetwork)
        let vpcs = try aws.describeVpcs()
        #expect(vpcs.filter { !$0.isDefault }.count == 1, "one VPC for the 8 managed tenants: \(vpcs.map(\.vpcId))")
        let vpc = try #require(try aws.describeVpcs(filters: [shared]).first)
        #expect(vpc.tags.contains(Tag(Tags.network, Tags.sharedNetwork)) && !vpc.tags.contains { $0.key == Tags.tenant })
        #expect(try aws.describeInternetGateways().count == 1)
        #expect(try aws.describeSubnets(filters: [shared]).count == 3)
        #expect(try h.count("select count(*) as n from berth.vpc_networks where shared and id = $1", ["shared:\(region)"]) == 1)
        #expect(try h.count("select count(*) as n from berth.networks where vpc_network = $1", ["shared:\(region)"]) == 8)
        // Each tenant has its own ECS cluster, and each cluster its own group in the shared VPC.
        #expect(try aws.listClusters().count == 8)
        var groups: [UUID: SecurityGroup] = [:]
        for id in ids {
            let group = try #require(try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())]).first)
            #expect(group.vpcId == vpc.vpcId)
            groups[id] = group
        }

        // Tenant 1's scheduler, seen from tenant 2's scheduler task (its group, its address).
        let a = ids[0], b = ids[1]
        let schedulerA = try #require(groups[a]), groupB = try #require(groups[b])
        let ipB = try #require(try h.cluster(b).schedulerAddress.flatMap(Self.host))
        let ipA = try #require(try h.cluster(a).schedulerAddress.flatMap(Self.host))
        #expect(!Self.admits(schedulerA, port: DaskScheduler.port, fromGroups: [groupB.groupId], ip: ipB),
                "another tenant's task reaches the scheduler: \(schedulerA.ingress)")
        #expect(!Self.admits(schedulerA, port: DaskScheduler.dashboardPort, fromGroups: [groupB.groupId], ip: ipB))
        #expect(Self.admits(schedulerA, port: DaskScheduler.port, fromGroups: [schedulerA.groupId], ip: ipA), "its own workers do")
        #expect(!schedulerA.ingress.contains { $0.cidrs.contains(vpc.cidrBlock) }, "not the whole shared VPC")
        // The spec's ingress_cidrs are admitted, and still no other tenant.
        let opened = try #require(groups[open])
        #expect(Self.admits(opened, port: DaskScheduler.port, fromGroups: [], ip: "203.0.113.7"))
        #expect(!Self.admits(opened, port: DaskScheduler.port, fromGroups: [groupB.groupId], ip: ipB))

        // The own-account tenant: its own VPC in its own account, its scheduler open to that VPC.
        let ownAWS = own.aws(region)
        let ownVpc = try #require(try ownAWS.describeVpcs(filters: [EC2Filter.tag(Tags.tenant, own.tenant.id.uuidString.lowercased())]).first)
        let ownGroup = try #require(try ownAWS.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, ownId.uuidString.lowercased())]).first)
        #expect(ownGroup.vpcId == ownVpc.vpcId)
        #expect(ownGroup.ingress.contains { $0.fromPort == DaskScheduler.port && $0.cidrs == [ownVpc.cidrBlock] })
        #expect(try h.count("select count(*) as n from berth.vpc_networks where tenant_id = $1 and not shared", [own.tenant.id]) == 1)
    }

    /// No capacity for the scheduler's type in the first zone, and the workers' type not offered
    /// there: both launch in the next zone that offers them, and the cluster ends ready.
    @Test func capacityFallsBackToTheNextZoneOfferingTheType() throws {
        let h = try ProvisioningHarness()
        let region = "us-east-2"
        let first = try h.aws(region: region).usableAvailabilityZones().map(\.zoneName).sorted().first ?? "us-east-2a"
        try h.realism(["capacity": ["instances": [
            ["instance_type": "m6i.large", "zone": first, "code": "InsufficientInstanceCapacity"],
            ["instance_type": "m6i.xlarge", "zone": first, "code": "Unsupported"],
        ]]])
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "vm", spec: #"{"backend": "vm", "workers": 2, "worker_cpu": 4}"#)
        try h.waitFor(id, .ready, timeout: 120, worker: worker)
        let aws = h.aws(region: region)
        let instances = try aws.describeInstances(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased()),
                                                            EC2Filter("instance-state-name", ["pending", "running"])])
        #expect(instances.count == 3)
        // The network's subnets by zone, as it recorded them.
        let network = try #require(try h.connection.queryRow(SQL("test_network_zones", """
            select outputs ->> 'zones' as zones, outputs ->> 'subnet_ids' as subnets from berth.networks where tenant_id = $1
            """), [tenant.id]))
        let zones = Dictionary(uniqueKeysWithValues: zip(try network.decode("subnets", as: String.self).split(separator: ",").map(String.init),
                                                         try network.decode("zones", as: String.self).split(separator: ",").map(String.init)))
        for instance in instances {
            #expect(zones[instance.subnetId ?? ""] != first, "\(instance.instanceType) in \(zones[instance.subnetId ?? ""] ?? "?")")
        }
        // The scheduler's launch was refused in the first zone once; the workers' never tried it.
        let stats = try h.proxyStats()
        #expect((stats.actions["ec2:RunInstances"] ?? 0) >= 3, "\(stats.actions)")
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'failed'") == 0)
    }

    /// Fargate has no capacity for a while: RunTask's failures are waited out with backoff
    /// (`retry` events), and the cluster ends ready.
    @Test func fargateCapacityIsWaitedOut() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        // The shortage starts once the network is there, so that it hits the cluster's tasks.
        let warm = try h.create(tenant, "warm", spec: #"{"workers": 0}"#)
        try h.waitFor(warm, .ready, timeout: 120, worker: worker)
        try h.realism(["capacity": ["fargate": [["zone": "*", "seconds": 3]]]])
        let id = try h.create(tenant, "c1", spec: #"{"workers": 2}"#)
        try h.waitFor(id, .ready, timeout: 120, worker: worker)
        let retries = try h.events(id).filter { $0.type == "retry" && $0.data["cause"] == "capacity" }
        let text = try h.eventText(id)
        #expect(!retries.isEmpty && retries.allSatisfy { $0.message.contains("Capacity is unavailable") }, "\(text)")
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'failed'") == 0)
    }

    /// A delete right after the create made the cluster's security group (here describes miss
    /// a new id for 2-3 s): the teardown waits until describes show it rather than find nothing
    /// by tag and call the cluster gone, and nothing is left.
    @Test func aDeleteRightAfterACreateWaitsUntilDescribesShowWhatItMade() throws {
        let h = try ProvisioningHarness()
        try h.realism(["consistency": ["min_seconds": 2, "max_seconds": 3]])
        let tenant = try h.tenant()
        let warm = try h.create(tenant, "warm", spec: #"{"workers": 0}"#)
        let worker = try h.worker(extraEnvironment: ["BERTH_AWS_CONSISTENCY_WINDOW": "4"])
        defer { worker.signal(SIGKILL) }
        try h.waitFor(warm, .ready, timeout: 120, worker: worker)
        let id = try h.create(tenant, "c1", spec: #"{"workers": 1}"#)
        try poll(timeout: 60, "the create to make its security group") {
            try h.count("select count(*) as n from berth.steps where scope = $1 and step = 'security_group' and state = 'done'",
                        ["cluster:" + id.uuidString.lowercased()]) == 1
        }
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        let stopped = try h.waitFor(id, .stopped, timeout: 120, worker: worker)
        #expect(try h.events(id).contains { $0.type == "step.waiting" && $0.step == "delete.settle" })
        // The group was made more than the emulator's 3 s ago (the teardown waited 4 s after its
        // create), so a describe by tag shows it if it is still there.
        #expect(try h.aws().describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())]).isEmpty)
        #expect(try h.leftovers(of: stopped).isEmpty)
    }

    struct QuotaCase: Sendable, CustomTestStringConvertible {
        let name: String
        let realism: [String: Int]
        let spec: String
        let says: [String]
        var testDescription: String { name }
    }

    static let quotaCases = [
        QuotaCase(name: "VPCs", realism: ["vpcs": 1], spec: #"{"workers": 1}"#,
                  says: ["VPCs per Region (L-F678F1CE)", "--service-code vpc --quota-code L-F678F1CE"]),
        QuotaCase(name: "On-Demand vCPUs", realism: ["on_demand_vcpus": 4], spec: #"{"backend": "vm", "workers": 2}"#,
                  says: ["Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (L-1216C47A)", "--quota-code L-1216C47A"]),
        QuotaCase(name: "Fargate vCPUs", realism: ["fargate_vcpus": 2], spec: #"{"workers": 3}"#,
                  says: ["Fargate On-Demand vCPU resource count (L-3032A538)", "--service-code fargate"]),
    ]

    /// A quota AWS refuses a create with ends the cluster in `error`, with a message naming the
    /// quota, the region and how to raise it; the cleanup leaves nothing of the cluster.
    @Test(arguments: quotaCases)
    func aQuotaEndsInErrorSayingHowToRaiseItAndLeavesNothing(_ quota: QuotaCase) throws {
        let h = try ProvisioningHarness()
        let limits: [String: Any] = quota.realism["on_demand_vcpus"].map { ["on_demand_vcpus": ["standard": $0]] } ?? quota.realism
        try h.realism(["quotas": limits])
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: quota.spec)
        let failed = try h.waitFor(id, .error, timeout: 120, worker: worker)
        let error = failed.error ?? ""
        for text in quota.says + ["us-east-2", "Service Quotas console", "request-service-quota-increase"] {
            #expect(error.contains(text), "\(text) in: \(error)")
        }
        try poll(timeout: 60, "the cleanup to finish") {
            try h.count("select count(*) as n from berth.jobs where kind = 'cluster.delete' and state = 'succeeded'") == 1
        }
        #expect(try h.cluster(id).state == .error)
        #expect(try h.leftovers(of: failed).isEmpty)
        let aws = h.aws()
        let mine = EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())
        #expect(try aws.describeInstances(filters: [mine]).allSatisfy { ["shutting-down", "terminated"].contains($0.state) })
    }

    /// The answer to every create is lost once (after the create took effect): two managed
    /// tenants in two regions, an ECS and a VM cluster each. Berth never creates what it cannot
    /// deduplicate twice: exactly one of each network resource per region, one ECS cluster, log
    /// group and repository per tenant and region, one of each cluster resource; and after the
    /// deletes nothing of the clusters is left.
    @Test func lostAnswersOnEveryCreateMakeNothingTwice() throws {
        let h = try ProvisioningHarness()
        try h.realism(["lost_answers": ["rate": 1, "once": true]])
        let regions = ["us-east-2", "eu-west-2"]
        let tenants = try (0..<2).map { _ in try h.tenant() }
        var clusters: [(tenant: Tenant, id: UUID, backend: String, region: String)] = []
        for tenant in tenants {
            for region in regions {
                for backend in ["ecs", "vm"] {
                    let id = try h.create(tenant, "\(backend)-\(region)", spec: #"{"backend": "\#(backend)", "workers": 2, "region": "\#(region)"}"#)
                    clusters.append((tenant, id, backend, region))
                }
            }
        }
        let workers = try (0..<2).map { _ in try h.worker(concurrency: 8) }
        defer { for w in workers { w.signal(SIGKILL) } }
        for c in clusters { try h.waitFor(c.id, .ready, timeout: 240, worker: workers[0]) }
        let stats = try h.proxyStats()
        #expect((stats.faults["lost"] ?? 0) + (stats.faults["lost-reset"] ?? 0) >= 20, "\(stats.faults)")

        let shared = EC2Filter.tag(Tags.network, Tags.sharedNetwork)
        for region in regions {
            let aws = h.aws(region: region)
            #expect(try aws.describeVpcs().filter { !$0.isDefault }.count == 1, "\(region)")
            #expect(try aws.describeSubnets(filters: [shared]).count == 3, "\(region)")
            #expect(try aws.describeInternetGateways().count == 1, "\(region)")
            #expect(try aws.describeRouteTables(filters: [shared]).count == 1, "\(region)")
            for tenant in tenants {
                #expect(try aws.listClusters().filter { $0.hasSuffix("/berth-\(tenant.name)") }.count == 1)
                #expect(try aws.describeLogGroups(prefix: "/berth/\(tenant.name)").count == 1)
                #expect(try aws.describeRepositories(names: ["berth/\(tenant.name)"]).count == 1)
            }
        }
        for c in clusters {
            let aws = h.aws(region: c.region)
            let key = c.id.uuidString.lowercased()
            #expect(try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, key)]).count == 1)
            if c.backend == "ecs" {
                #expect(try aws.listTasks(cluster: "berth-\(c.tenant.name)", startedBy: key).count == 3)
                for role in ["scheduler", "worker"] {
                    #expect(throws: AWSError.self, "one revision") { try aws.describeTaskDefinition("berth-\(key)-\(role):2") }
                }
            } else {
                let live = EC2Filter("instance-state-name", ["pending", "running"])
                #expect(try aws.describeInstances(filters: [EC2Filter.tag(Tags.cluster, key), live]).count == 3)
            }
        }
        for c in clusters { _ = try ClusterStore(h.connection).delete(tenant: c.tenant.name, name: "\(c.backend)-\(c.region)") }
        for c in clusters {
            let stopped = try h.waitFor(c.id, .stopped, timeout: 180, worker: workers[0])
            #expect(try h.leftovers(of: stopped).isEmpty)
        }
        #expect(try h.count("select count(*) as n from berth.jobs where state = 'failed'") == 0)
    }

    // MARK: - Security group rules

    /// Whether `group`'s ingress rules admit TCP `port` from an interface in `fromGroups` with
    /// address `ip`: the rules only, as AWS evaluates them for traffic into the group.
    static func admits(_ group: SecurityGroup, port: Int, fromGroups: [String], ip: String) -> Bool {
        group.ingress.contains { rule in
            let ports = rule.ipProtocol == "-1"
                || (["tcp", "6"].contains(rule.ipProtocol) && (rule.fromPort ?? 0) <= port && port <= (rule.toPort ?? 65535))
            return ports && (rule.sourceGroupIds.contains(where: fromGroups.contains) || rule.cidrs.contains { contains($0, ip) })
        }
    }

    /// Whether IPv4 `cidr` contains `ip`.
    static func contains(_ cidr: String, _ ip: String) -> Bool {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let bits = UInt32(parts[1]), bits <= 32, let network = address(String(parts[0])),
              let host = address(ip) else { return false }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
        return network & mask == host & mask
    }

    static func address(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        return octets.reduce(0) { $0 << 8 | $1 }
    }

    /// The host of `tcp://10.64.1.2:8786`.
    static func host(_ address: String) -> String? {
        address.split(separator: "/").last?.split(separator: ":").first.map(String.init)
    }

    @Test func ruleEvaluation() {
        #expect(Self.contains("10.64.0.0/16", "10.64.200.3") && !Self.contains("10.64.0.0/16", "10.65.0.1"))
        #expect(Self.contains("0.0.0.0/0", "8.8.8.8") && Self.contains("203.0.113.7/32", "203.0.113.7"))
        #expect(Self.host("tcp://10.64.1.2:8786") == "10.64.1.2")
    }
}
