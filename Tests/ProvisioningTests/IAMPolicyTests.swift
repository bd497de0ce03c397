import AWS
import Foundation
import Postgres
@testable import Provisioning
import Testing
import TestSupport

/// `berth iam-policy` is generated from `AWSActions.all`; these tests hold the table to what the
/// code calls. The end-to-end test runs as an emulator IAM user that holds exactly the printed
/// policy, with moto's signature and permission checks on.
@Suite struct IAMPolicyTests {
    // MARK: - The printed document

    @Test func printedPolicyIsExactlyTheTable() throws {
        let result = try runBerth(["iam-policy"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output == IAMPolicy.document())
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(document["Version"] as? String == "2012-10-17")
        let statements = try #require(document["Statement"] as? [[String: Any]])
        #expect(statements.compactMap { $0["Sid"] as? String }
            == ["Setup", "Ongoing", "BerthRoles", "BerthRolePolicies", "BerthInstanceProfiles", "PassRole"])
        var printed: [String] = []
        for statement in statements {
            #expect(statement["Effect"] as? String == "Allow")
            let actions = try #require(statement["Action"] as? [String])
            #expect(actions == Array(Set(actions)).sorted(), "each statement's actions: sorted, each once")
            let sid = try #require(statement["Sid"] as? String)
            #expect(Set(actions) == Set(AWSActions.all.filter { $0.statement.rawValue == sid }.map(\.name)))
            let expected = try #require(AWSAction.Statement(rawValue: sid))
            #expect(statement["Resource"] as? String == expected.resources().first && expected.resources().count == 1, "\(sid)")
            let condition = statement["Condition"] as? [String: [String: [String]]]
            #expect(condition == expected.condition, "\(sid)")
            // IAM writes (creating, tagging, attaching to, changing, deleting roles and instance
            // profiles, passing roles) never on every resource.
            if statement["Resource"] as? String == "*" {
                let writes = actions.filter { $0.hasPrefix("iam:") && !$0.hasPrefix("iam:Get") && $0 != "iam:CreateServiceLinkedRole" }
                #expect(writes.isEmpty, "\(sid) grants \(writes) on every resource")
            }
            printed += actions
        }
        // The narrowed statements, as a tenant reads them.
        func statement(with action: String) -> [String: Any]? {
            statements.first { ($0["Action"] as? [String])?.contains(action) == true }
        }
        for action in ["iam:CreateRole", "iam:TagRole"] {
            #expect(statement(with: action)?["Resource"] as? String == "arn:aws:iam::*:role/berth-*", "\(action)")
        }
        #expect(statement(with: "iam:AttachRolePolicy")?["Resource"] as? String == "arn:aws:iam::*:role/berth-*")
        #expect(statement(with: "iam:AttachRolePolicy")?["Condition"] as? [String: [String: [String]]]
            == ["ArnEquals": ["iam:PolicyARN": ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]]])
        for action in ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
                       "iam:DeleteInstanceProfile", "iam:GetInstanceProfile", "iam:TagInstanceProfile"] {
            #expect(statement(with: action)?["Resource"] as? String == "arn:aws:iam::*:instance-profile/berth-*", "\(action)")
        }
        // iam:PassRole is never granted on every role (a key that may pass any role to any
        // service can hand itself an administrator's role).
        #expect(statements.first { ($0["Action"] as? [String])?.contains("iam:PassRole") == true }?["Resource"] as? String != "*")
        // Every table action once, in one statement only.
        let table = AWSActions.all.map(\.name)
        #expect(table.count == Set(table).count, "an action appears twice in AWSActions.all")
        #expect(printed.sorted() == table.sorted())
        // Implied actions name actions of the table that are calls of their own.
        let direct = Set(AWSActions.all.filter { $0.impliedBy.isEmpty }.map(\.name))
        for action in AWSActions.all {
            #expect(Set(action.impliedBy).isSubset(of: direct), "\(action.name) is implied by actions that are not direct calls")
            #expect(action.name.range(of: #"^[a-z0-9]+:[A-Z][A-Za-z]+$"#, options: .regularExpression) != nil, "\(action.name)")
        }
    }

    // MARK: - A restricted IAM user through a full create and delete

    /// In a fresh emulator account (so the ECS service-linked role is missing and Berth must
    /// create it): an IAM user holding only `IAMPolicy.document()`, with moto's signature and
    /// IAM checks on, runs a managed tenant's network (crashing the worker once inside each step
    /// whose resume path adopts what the crashed attempt made, so those reads run too), an
    /// ECS cluster with FARGATE_SPOT workers and a VM cluster with spot workers to `ready`, their deletes to `stopped`, and the
    /// credential check of an `--own` tenant. Then the calls the proxy saw for the key must
    /// be the table: nothing refused, nothing called that the table lacks, every direct table
    /// action called, and every implied one covered by a call that implies it.
    ///
    /// What moto 5.2.1 enforces (measured): every direct action of every service Berth uses
    /// (ec2, ecs, iam, logs, ecr; a user without a policy is refused each below); STS
    /// GetCallerIdentity is always allowed, as in AWS. It does not check implied permissions:
    /// tags given at creation (ec2:CreateTags, ecs/logs/ecr:TagResource, iam:TagRole,
    /// iam:TagInstanceProfile) and iam:PassRole. Those are held to the table by the rule that
    /// one of their implying calls ran, not by moto; the PassRole statement's Resource is held
    /// to the ARNs of the roles Berth passed. moto takes only `sts:ExternalId` from a request to
    /// test conditions against, and a condition on any other key (`iam:PassedToService` here)
    /// counts as met: the condition is not tested by this run, and does not get in its way.
    @Test func restrictedUserCreatesAndDeletesACluster() throws {
        try Self.withAuthEmulator(restrictedRun)
    }

    /// The steps whose resumed attempt adopts what the crashed one made (by tag, or after
    /// "already exists"): GetInstanceProfile, DescribeVpcs, DescribeSubnets,
    /// DescribeInternetGateways, DescribeRouteTables, DescribeRepositories and (the cluster's
    /// `tls` step) DescribeSecret run only there.
    static let adoptingSteps = ["instance_profile", "vpc", "subnets", "internet_gateway", "route_table", "ecr_repository", "tls"]

    private func restrictedRun(proxy: String, moto: String) throws {
        let (account, bootstrap, _) = try Self.freshAccount(proxy)
        // The VM cluster's worker role, named in the policy as `berth iam-policy --worker-role-arn` names it.
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let workerRole = try bootstrap.createRole(name: "data-reader", assumeRolePolicyDocument: trust).arn
        let restricted = try Self.createUser(bootstrap, "berth-restricted", policy: IAMPolicy.document(workerRoles: [workerRole]))
        let nothing = try Self.createUser(bootstrap, "berth-no-policy", policy: nil)
        for user in [restricted, nothing] {
            try ProvisioningHarness.registerAccount(endpoint: proxy, key: user.id, account: account, secret: user.secret)
        }
        let missingRole = #expect(throws: AWSError.self, "a fresh account has no ECS service-linked role") {
            try bootstrap.getRole(name: "AWSServiceRoleForECS")
        }
        #expect(missingRole?.classification == .notFound)

        try Self.setChecks(moto, on: true)
        defer { try? Self.setChecks(moto, on: false) }

        // The checks are on for every service Berth calls: a user without a policy is refused.
        let denied = Self.client(proxy, nothing.id, nothing.secret)
        let refusals: [(String, () throws -> Void)] = [
            ("ec2", { _ = try denied.describeVpcs() }),
            ("ecs", { _ = try denied.listClusters() }),
            ("iam", { _ = try denied.getRole(name: "AWSServiceRoleForECS") }),
            ("logs", { _ = try denied.describeLogGroups(prefix: "berth") }),
            ("ecr", { _ = try denied.describeRepositories(names: ["berth-none"]) }),
        ]
        for (service, call) in refusals {
            let error = #expect(throws: AWSError.self, "\(service) lets a user without a policy in") { try call() }
            #expect(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"].contains(error?.code ?? ""),
                    "\(service): \(String(describing: error))")
        }

        // The restricted user: a managed tenant whose worker holds its key.
        let h = try ProvisioningHarness(endpoint: proxy, key: restricted, account: account)
        let tenant = try h.tenant()
        let id = try h.create(tenant, "c1", spec: #"{"workers": 3, "fargate_spot": true}"#)
        for step in Self.adoptingSteps {
            let point = "\(step):after_call"
            let crashing = try h.worker(lease: "1s", extraEnvironment: ["BERTH_TEST_CRASH_AT": point])
            defer { crashing.signal(SIGKILL) }
            try poll(timeout: 30, "the worker to crash at \(point)") {
                if try h.cluster(id).state == .error {
                    throw SetupError("the cluster failed before \(point):\n\(try h.eventText(id))\n\(crashing.log.suffix(3000))")
                }
                return !crashing.process.isRunning
            }
            // The pipe may deliver the dying worker's last line a moment after it exits (as in CrashTests).
            try poll(timeout: 5, "the crash message in the log\n\(crashing.log.suffix(2000))") {
                crashing.log.contains("BERTH_TEST_CRASH_AT=\(point)")
            }
        }
        let worker = try h.worker(lease: "1s")
        defer { worker.signal(SIGKILL) }
        let ready = try h.waitFor(id, .ready, timeout: 40, worker: worker)
        #expect(ready.schedulerAddress?.hasPrefix("tls://") == true)
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        let stopped = try h.waitFor(id, .stopped, timeout: 30, worker: worker)
        // A VM cluster (spot workers, a worker role) in the same network: the EC2 instance actions,
        // the console (readiness) and the workers' instance profile.
        let vm = try h.create(tenant, "v1", spec: #"{"backend": "vm", "workers": 2, "spot": true, "worker_role_arn": "\#(workerRole)"}"#)
        try h.waitFor(vm, .ready, timeout: 40, worker: worker)
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "v1")
        let vmStopped = try h.waitFor(vm, .stopped, timeout: 30, worker: worker)
        #expect(try h.leftovers(of: vmStopped).isEmpty)
        // The orphan sweep, with the same key: it lists everything Berth tagged (nothing is left).
        let sweep = try h.berth(["sweep", "--tenant", tenant.name, "--region", "us-east-2", "--apply"])
        #expect(sweep.status == 0 && sweep.output.contains("no orphans"), "\(sweep.output)")

        // The same key as an `--own` tenant's: STS and the preflight find nothing missing.
        let own = try h.tenant(own: true)
        let check = try h.berth(["tenant", "credentials", own.name, "--access-key-id", restricted.id, "--secret-access-key-stdin"],
                                stdin: restricted.secret)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("permission preflight: nothing missing"), "\(check.output)")

        // The roles Berth passed (read now: offboarding forgets the checkpoints that recorded them).
        let roles = try h.connection.query(SQL("test_passed_roles", """
            select step, outputs ->> (step || '_arn') as arn from berth.steps
             where scope = 'tenant:' || $1 and step in ('execution_role', 'instance_role') order by step
            """), [tenant.id.uuidString.lowercased()]).map { (try $0.decode("step", as: String.self), try $0.decode("arn", as: String.self)) }

        // Offboarding both (`berth.delete_tenant`): the managed tenant (its ECS cluster, log group,
        // repository and IAM roles; the shared network stays) and the own-account one, given a
        // network of its own by its network job, so the VPC deletes run too.
        try h.connection.execute(ProvisioningSQL.ensureNetworkRow, [own.id, "us-east-2"])
        _ = try h.connection.queryRow(ProvisioningSQL.enqueueNetworkJob, [own.id, "us-east-2", own.name, NetworkJob.kind])
        try poll(timeout: 60, "the own tenant's network\n\(worker.log.suffix(3000))") {
            try h.count("select count(*) as n from berth.networks where tenant_id = $1 and state = 'ready'", [own.id]) == 1
        }
        for offboarded in [tenant, own] { _ = try TenantStore(h.connection).delete(name: offboarded.name) }
        try poll(timeout: 60, "both tenants to be deleted\n\(worker.log.suffix(3000))") {
            try h.count("select count(*) as n from berth.tenants where state = 'deleted'") == 2
        }

        // The calls the key made (counted by the proxy before anything else uses the key).
        let stats = try h.proxyStats()
        let called = Set(stats.actions.keys)
        #expect((stats.denied ?? [:]).isEmpty, "calls refused to the policy's user: \(stats.denied ?? [:])")
        let table = Set(AWSActions.all.map(\.name))
        let direct = Set(AWSActions.all.filter { $0.impliedBy.isEmpty }.map(\.name))
        #expect(called.subtracting(table).sorted() == [], "called, but missing from AWSActions.all")
        #expect(direct.subtracting(called).sorted() == [], "in AWSActions.all (so in the policy), but no code called it")
        for action in AWSActions.all where !action.impliedBy.isEmpty {
            #expect(!called.contains(action.name), "\(action.name) is called directly: it is not only implied")
            #expect(action.impliedBy.contains(where: called.contains),
                    "\(action.name): none of \(action.impliedBy) was called, so nothing needs it")
        }
        #expect(try h.leftovers(of: stopped).isEmpty)

        // moto does not check iam:PassRole, so the scoped statement is held to the roles Berth
        // passed here: the execution role (to ECS tasks) and the instance role (in the instance
        // profile, to EC2) must fall under its Resource pattern. (The condition's two services
        // are the ones TenantIAMPlan's trust policies name.)
        // IAM's wildcard: `*` is any run of characters.
        let passRole = "^" + NSRegularExpression.escapedPattern(for: AWSAction.Statement.passRole.resources()[0])
            .replacingOccurrences(of: "\\*", with: ".*") + "$"
        #expect(roles.map(\.0) == ["execution_role", "instance_role"])
        for (step, arn) in roles {
            #expect(arn.range(of: passRole, options: .regularExpression) != nil,
                    "\(step): \(arn) is not covered by \(AWSAction.Statement.passRole.resources()[0])")
            #expect(arn.range(of: #"^arn:aws:iam::[0-9]{12}:role/berth-[a-z0-9-]+$"#, options: .regularExpression) != nil, "\(arn)")
        }
    }

    // MARK: - IAM writes on Berth's own roles and profiles only

    /// The narrowed statements hold as AWS decides them, through the emulator
    /// (`iam_resource_authorization`), next to raw moto (which checks CreateRole and profile
    /// calls against "*", and takes the `iam:PolicyARN` condition as met).
    @Test func iamWritesAreAuthorizedOnTheirResourceAsAWSDoes() throws {
        try Self.withAuthEmulator(narrowedRun)
    }

    private func narrowedRun(proxy: String, moto: String) throws {
        let (account, bootstrap, _) = try Self.freshAccount(proxy)
        let user = try Self.createUser(bootstrap, "berth-narrow", policy: IAMPolicy.document())
        try ProvisioningHarness.registerAccount(endpoint: proxy, key: user.id, account: account, secret: user.secret)
        // Each call's own answer is the point here: none lost (a retried create would find its first).
        try ProvisioningHarness.realism(endpoint: proxy, key: user.id, ["lost_answers": false])
        try Self.setChecks(moto, on: true)
        defer { try? Self.setChecks(moto, on: false) }
        let patched = Self.client(proxy, user.id, user.secret)
        let raw = Self.client(moto, user.id, user.secret)
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#

        // moto: a statement scoped to role/berth-* refuses even a berth- role (checked against "*").
        Self.denied("raw moto CreateRole berth-raw") { _ = try raw.createRole(name: "berth-raw", assumeRolePolicyDocument: trust) }
        _ = try patched.createRole(name: "berth-narrow", assumeRolePolicyDocument: trust)
        Self.denied("CreateRole admin") { _ = try patched.createRole(name: "admin", assumeRolePolicyDocument: trust) }

        // moto: any managed policy may be attached (iam:PolicyARN counts as met); AWS: only Berth's.
        let ecs = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        try raw.attachRolePolicy(roleName: "berth-narrow", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess")
        Self.denied("AttachRolePolicy AdministratorAccess") {
            try patched.attachRolePolicy(roleName: "berth-narrow", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess")
        }
        try patched.attachRolePolicy(roleName: "berth-narrow", policyArn: ecs)

        // Instance profiles: berth- ones only (moto checks these against "*" too).
        Self.denied("raw moto CreateInstanceProfile berth-raw") { _ = try raw.createInstanceProfile(name: "berth-raw") }
        _ = try patched.createInstanceProfile(name: "berth-narrow")
        try patched.addRoleToInstanceProfile(profileName: "berth-narrow", roleName: "berth-narrow")
        Self.denied("CreateInstanceProfile other") { _ = try patched.createInstanceProfile(name: "other") }
        try patched.removeRoleFromInstanceProfile(profileName: "berth-narrow", roleName: "berth-narrow")
        try patched.deleteInstanceProfile(name: "berth-narrow")
        let gone = #expect(throws: AWSError.self) { _ = try patched.getInstanceProfile(name: "berth-narrow") }
        #expect(gone?.classification == .notFound, "\(String(describing: gone))")
    }

    /// The call is refused with IAM's AccessDenied.
    static func denied(_ what: String, _ call: () throws -> Void) {
        let error = #expect(throws: AWSError.self, "\(what) was allowed") { try call() }
        #expect(error?.code == "AccessDenied", "\(what): \(String(describing: error))")
    }

    // MARK: - The preflight's refusals

    /// With the emulator's checks on, a key whose policy lacks ec2:CreateVpc and
    /// ec2:RunInstances is told so by the preflight: the emulator answers its DryRun calls
    /// UnauthorizedOperation, as AWS does, and makes nothing.
    @Test func preflightNamesWhatAKeyMayNotCall() throws {
        try Self.withAuthEmulator { proxy, moto in
            let (account, bootstrap, admin) = try Self.freshAccount(proxy)
            let lacking: Set = ["ec2:CreateVpc", "ec2:RunInstances"]
            let partial = try Self.createUser(bootstrap, "berth-partial", policy: IAMPolicy.document(AWSActions.all.filter { !lacking.contains($0.name) }))
            try ProvisioningHarness.registerAccount(endpoint: proxy, key: partial.id, account: account, secret: partial.secret)

            try Self.setChecks(moto, on: true)
            defer { try? Self.setChecks(moto, on: false) }
            let h = try ProvisioningHarness(endpoint: proxy, key: admin, account: account)
            let own = try h.tenant(own: true)
            let check = try h.berth(["tenant", "credentials", own.name, "--access-key-id", partial.id, "--secret-access-key-stdin"],
                                    stdin: partial.secret)
            #expect(check.status == 0, "\(check.output)")
            #expect(check.output.contains("permission preflight: the key may not call ec2:CreateVpc, ec2:RunInstances;"), "\(check.output)")
            let stats = try h.proxyStats(key: partial.id)
            #expect(Set((stats.denied ?? [:]).keys) == lacking, "\(stats)")
            #expect(try Self.client(proxy, admin.id, admin.secret).describeVpcs().filter { !$0.isDefault }.isEmpty, "a dry run made a VPC")
        }
    }

    // MARK: - Helpers

    /// Runs `body` with the auth emulator (its proxy and its moto) to itself, checks off at first.
    static func withAuthEmulator(_ body: (_ proxy: String, _ moto: String) throws -> Void) throws {
        let env = ProcessInfo.processInfo.environment
        guard let proxy = env["BERTH_EMULATOR_AUTH_URL"], !proxy.isEmpty, let moto = env["BERTH_MOTO_AUTH_URL"], !moto.isEmpty else {
            throw SetupError("BERTH_EMULATOR_AUTH_URL / BERTH_MOTO_AUTH_URL are not set: run the tests with scripts/test, which starts the emulator")
        }
        try AuthEmulatorLock.with {
            try setChecks(moto, on: false)
            try body(proxy, moto)
        }
    }

    /// With checks off: a fresh account reached through a bootstrap key the proxy maps to it,
    /// and an allow-all user the proxy signs its own calls with (its DescribeClusters, ListTasks,
    /// ... behind RunTask and DeleteSecurityGroup, and its IAM reads for dry runs are emulator
    /// business, never the caller's permissions).
    static func freshAccount(_ proxy: String) throws -> (account: String, bootstrap: AWSClient, admin: (id: String, secret: String)) {
        let account = ProvisioningHarness.newAccount()
        let bootstrapKey = ProvisioningHarness.newAccessKeyId()
        try ProvisioningHarness.registerAccount(endpoint: proxy, key: bootstrapKey, account: account)
        // The test's own set-up (users, keys) is not what the run is about: no lost answers.
        try ProvisioningHarness.realism(endpoint: proxy, key: bootstrapKey, ["lost_answers": false])
        let bootstrap = client(proxy, bootstrapKey, "unchecked")
        let admin = try createUser(bootstrap, "berth-emulator-proxy",
                                   policy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        try ProvisioningHarness.registerAccount(endpoint: proxy, key: admin.id, account: account, secret: admin.secret, proxyCalls: true)
        return (account, bootstrap, admin)
    }

    /// Switches the auth moto's signature and IAM checks (server-wide: callers hold AuthEmulatorLock).
    static func setChecks(_ moto: String, on: Bool) throws {
        let response = try HTTPClient().perform(HTTPRequest(method: "POST", url: moto + "/moto-api/reset-auth",
                                                            headers: [HTTPHeader("Content-Type", "text/plain")],
                                                            body: Array((on ? "0" : "inf").utf8)))
        guard response.status == 200 else { throw SetupError("moto refused reset-auth: \(response.status)") }
    }

    static func client(_ endpoint: String, _ id: String, _ secret: String) -> AWSClient {
        var configuration = AWSClient.Configuration()
        configuration.rateLimit = .unlimited
        configuration.retry = .none
        return AWSClient(credentials: AWSCredentials(accessKeyId: id, secretAccessKey: secret), region: "us-east-2",
                         endpoints: Endpoints(global: endpoint), configuration: configuration)
    }

    /// An IAM user with an inline policy (or none) and an access key.
    static func createUser(_ admin: AWSClient, _ name: String, policy: String?) throws -> (id: String, secret: String) {
        var user = QueryParameters()
        user.set("UserName", name)
        _ = try admin.query(.iam, action: "CreateUser", user)
        if let policy {
            var p = user
            p.set("PolicyName", "berth")
            p.set("PolicyDocument", policy)
            _ = try admin.query(.iam, action: "PutUserPolicy", p)
        }
        let key = try admin.queryResult(.iam, action: "CreateAccessKey", user)
        return (try #require(key.string("AccessKey", "AccessKeyId")), try #require(key.string("AccessKey", "SecretAccessKey")))
    }
}
