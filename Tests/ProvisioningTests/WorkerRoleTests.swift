import AWS
import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// Worker roles (data access): a tenant's default and a cluster's own, checked by the SQL API,
/// the CLI and the create job; ECS workers get it as their task role, VM workers through an
/// instance profile Berth makes and removes.
@Suite struct WorkerRoleTests {
    static let good = ["arn:aws:iam::123456789012:role/reader", "arn:aws:iam::123456789012:role/data/team-a/reader+x=y,z.@_-",
                       "arn:aws:iam::000000000000:role/" + String(repeating: "r", count: 64)]
    static let bad = ["", "reader", "arn:aws:iam::12345678901:role/reader", "arn:aws:iam::123456789012:user/reader",
                      "arn:aws-cn:iam::123456789012:role/reader", "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:role/a b",
                      "arn:aws:iam::123456789012:role/" + String(repeating: "r", count: 65), "arn:aws:iam::123456789012:role//reader",
                      "arn:aws:s3:::bucket", "arn:aws:iam::123456789012:role/reader\n"]

    @Test func theSQLAPIAndSwiftAgreeOnWhatARoleARNIs() throws {
        let w = try SpecValidationTests.World.forBadCases()
        for arn in Self.good + Self.bad {
            let sql: Bool = try w.connection.queryRow(SQL("test_is_worker_role_arn", "select berth.is_worker_role_arn($1) as ok"), [arn])!
                .decode("ok")
            let swift = (try? WorkerRole(parsing: arn)) != nil
            #expect(sql == swift && swift == Self.good.contains(arn), "\(arn.debugDescription): SQL \(sql), Swift \(swift)")
        }
        let role = try WorkerRole(parsing: Self.good[1])
        #expect(role.account == "123456789012" && role.name == "reader+x=y,z.@_-")
    }

    @Test func aSpecsRoleOverridesTheTenantsAndBadOnesAreRefusedQuoted() throws {
        let w = try SpecValidationTests.World()
        let plain = try w.tenant("plain")
        #expect(try w.spec(of: try w.createCluster(tenant: plain.name, name: "none", spec: "{}"))["worker_role_arn"] == nil)
        try TenantStore(w.connection).setWorkerRole(tenant: plain.name, arn: Self.good[0])
        #expect(try w.spec(of: try w.createCluster(tenant: plain.name, name: "default", spec: "{}"))["worker_role_arn"] as? String
            == Self.good[0])
        let own = try w.spec(of: try w.createCluster(tenant: plain.name, name: "own", spec: #"{"worker_role_arn": "\#(Self.good[1])"}"#))
        #expect(own["worker_role_arn"] as? String == Self.good[1])

        let before = try w.counts()
        for (spec, phrase) in [(#"{"worker_role_arn": "arn:aws:iam::1:role/x"}"#, "worker_role_arn must be an IAM role ARN"),
                               (#"{"worker_role_arn": 12}"#, "worker_role_arn must be a string"),
                               (#"{"worker_role_arm": "x"}"#, "allowed keys: backend, region")] {
            let error = try #require(throws: PostgresError.self) { try w.createCluster(tenant: plain.name, name: "bad", spec: spec) }
            #expect(error.sqlState == "22023")
            #expect(error.message.contains(phrase), "\(error.message)")
        }
        let error = try #require(throws: PostgresError.self) {
            try w.createCluster(tenant: plain.name, name: "bad", spec: #"{"worker_role_arn": "arn:aws:iam::1:role/x"}"#)
        }
        #expect(error.message.contains("'arn:aws:iam::1:role/x'"), "the value quoted: \(error.message)")
        let unknown = try #require(throws: PostgresError.self) { try w.createCluster(tenant: plain.name, name: "bad", spec: #"{"x": 1}"#) }
        #expect(unknown.message.hasSuffix("ingress_cidrs, worker_role_arn, idle_timeout, max_lifetime"), "\(unknown.message)")

        // An own-account tenant whose account is known: another account's role is refused.
        let acme = try w.tenant("acme")
        _ = try w.connection.execute(SQL("test_set_account", "update berth.tenants set aws_mode = 'own', aws_account_id = '111111111111' where name = $1"),
                                     ["acme"])
        let other = try #require(throws: PostgresError.self) {
            try w.createCluster(tenant: acme.name, name: "c1", spec: #"{"worker_role_arn": "\#(Self.good[0])"}"#)
        }
        #expect(other.sqlState == "22023" && other.message.contains("is in AWS account 123456789012, but tenant 'acme' runs in account 111111111111"),
                "\(other.message)")
        #expect(throws: ProvisioningError.self) { try TenantStore(w.connection).setWorkerRole(tenant: "acme", arn: Self.good[0]) }
        try TenantStore(w.connection).setWorkerRole(tenant: "acme", arn: "arn:aws:iam::111111111111:role/reader")
        #expect(try w.counts() == before)
    }

    @Test func theCLISetsChecksAndClearsATenantsRole() throws {
        let h = try ProvisioningHarness()
        let bad = try h.berth(["tenant", "create", "acme", "--worker-role-arn", "arn:aws:iam::1:role/x"])
        #expect(bad.status == 2 && bad.output.contains("'arn:aws:iam::1:role/x'"), "\(bad.output)")
        #expect(try h.berth(["tenant", "create", "acme", "--worker-role-arn", Self.good[0]]).status == 0)
        #expect(try TenantStore(h.connection).require(name: "acme").workerRoleArn == Self.good[0])

        let both = try h.berth(["tenant", "update", "acme", "--worker-role-arn", Self.good[1], "--no-worker-role"])
        #expect(both.status == 2 && both.output.contains("at most one"), "\(both.output)")
        // Without options, `tenant update` shows the quotas (issue 16) and changes nothing.
        #expect(try h.berth(["tenant", "update", "acme"]).status == 0)
        #expect(try TenantStore(h.connection).require(name: "acme").workerRoleArn == Self.good[0])
        #expect(try h.berth(["tenant", "update", "nobody", "--no-worker-role"]).status == 2)
        let changed = try h.berth(["tenant", "update", "acme", "--worker-role-arn", Self.good[1], "--json"])
        #expect(changed.status == 0 && changed.output.contains(#""worker_role_arn""#), "\(changed.output)")
        #expect(try TenantStore(h.connection).require(name: "acme").workerRoleArn == Self.good[1])
        #expect(try h.berth(["tenant", "update", "acme", "--no-worker-role"]).status == 0)
        #expect(try TenantStore(h.connection).require(name: "acme").workerRoleArn == nil)

        // The policy names a worker role in its PassRole statement; a bad one is refused.
        let policy = try h.berth(["iam-policy", "--worker-role-arn", Self.good[0]])
        #expect(policy.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(policy.output.utf8)) as? [String: Any])
        let passRole = (document["Statement"] as? [[String: Any]])?.first { $0["Sid"] as? String == "PassRole" }
        #expect(passRole?["Resource"] as? [String] == ["arn:aws:iam::*:role/berth-*", Self.good[0]])
        #expect(try h.berth(["iam-policy", "--worker-role-arn", "nope"]).status == 2)
    }

    /// A role in the test's account that the workers can be given. (The run's realism loses a
    /// few answers to creates: a retried CreateRole then finds the role made.)
    static func role(_ h: ProvisioningHarness, _ name: String) throws -> String {
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ecs-tasks.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#
        do {
            return try h.aws().createRole(name: name, assumeRolePolicyDocument: trust, path: "/data/").arn
        } catch let error as AWSError where error.classification == .alreadyExists {
            return try h.aws().getRole(name: name).arn
        }
    }

    @Test func ecsWorkersGetTheRoleAsTheirTaskRoleAndTheSchedulerDoesNot() throws {
        let h = try ProvisioningHarness()
        let arn = try Self.role(h, "reader")
        #expect(arn == "arn:aws:iam::\(h.account):role/data/reader")
        let tenant = try h.tenant()
        try TenantStore(h.connection).setWorkerRole(tenant: tenant.name, arn: arn)
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 1}"#)
        _ = try h.waitFor(id, .ready, timeout: 120, worker: worker)
        let aws = h.aws()
        #expect(try aws.describeTaskDefinition(ECSNames.taskFamily(cluster: id, role: "worker")).taskRoleArn == arn)
        #expect(try aws.describeTaskDefinition(ECSNames.taskFamily(cluster: id, role: "scheduler")).taskRoleArn == nil)

        // A role of another account (a managed tenant's account is known only to the worker's
        // key), and a role that does not exist: the cluster fails before anything is made.
        for (name, role, phrase) in [("other", "arn:aws:iam::999999999999:role/reader", "is in AWS account 999999999999"),
                                     ("missing", "arn:aws:iam::\(h.account):role/nobody", "no role named nobody")] {
            let failed = try h.waitFor(try h.create(tenant, name, spec: #"{"worker_role_arn": "\#(role)"}"#), .error, timeout: 120,
                                       worker: worker)
            #expect(failed.error?.contains(phrase) == true && failed.error?.contains("worker_role") == true, "\(failed.error ?? "")")
            #expect(try h.leftovers(of: failed).isEmpty)
        }
    }

    @Test func vmWorkersRunWithAnInstanceProfileForTheRoleThatTheDeleteRemoves() throws {
        let h = try ProvisioningHarness()
        let arn = try Self.role(h, "vm-reader")
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "v1", spec: #"{"backend": "vm", "workers": 2, "worker_role_arn": "\#(arn)"}"#)
        let ready = try h.waitFor(id, .ready, timeout: 120, worker: worker)
        let aws = h.aws()
        let profile = try aws.getInstanceProfile(name: "berth-\(id.uuidString.lowercased())-workers")
        #expect(profile.roles.map(\.roleName) == ["vm-reader"])
        let instances = try aws.describeInstances(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())])
        #expect(instances.filter { $0.iamInstanceProfileArn == profile.arn }.count == 2)
        #expect(instances.filter { $0.iamInstanceProfileArn?.hasSuffix("instance-profile/berth-\(tenant.name)-instance") == true }.count == 1)
        #expect(try h.leftovers(of: ready).contains("instance profile berth-\(id.uuidString.lowercased())-workers exists"))

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "v1")
        let stopped = try h.waitFor(id, .stopped, timeout: 120, worker: worker)
        #expect(try h.leftovers(of: stopped).isEmpty)
        #expect(throws: AWSError.self) { try aws.getInstanceProfile(name: "berth-\(id.uuidString.lowercased())-workers") }
        #expect(try aws.getRole(name: "vm-reader").arn == arn, "the tenant's role stays: it is not Berth's")
    }
}
