import AWS
import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// Create and delete real ECS/Fargate clusters in the emulator through real worker processes.
@Suite struct ECSClusterTests {
    @Test(arguments: [false, true])
    func createThenDeleteLeavesNothing(fargateSpot: Bool) throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 12, "fargate_spot": \#(fargateSpot)}"#)
        let ready = try h.waitFor(id, .ready, worker: worker)
        #expect(ready.schedulerAddress?.hasPrefix("tls://") == true && ready.schedulerAddress?.hasSuffix(":8786") == true)

        // In AWS, by tag and startedBy: the security group, 13 tasks on the right capacity.
        let aws = h.aws()
        let groups = try aws.describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())])
        #expect(groups.count == 1)
        let group = try #require(groups.first)
        #expect(group.tags.contains(Tag(Tags.tenant, tenant.id.uuidString.lowercased())))
        #expect(group.tags.contains(Tag(Tags.managed, "true")))
        // Scheduler ports: in the network managed tenants share, only the cluster's own group by
        // default (AWSRealismTests checks another tenant's task is not admitted).
        #expect(!group.ingress.contains { $0.fromPort == 8786 }, "\(group.ingress)")
        #expect(group.ingress.contains { $0.ipProtocol == "-1" && $0.sourceGroupIds == [group.groupId] })
        let tasks = try aws.describeTasks(cluster: "berth-\(tenant.name)",
                                          tasks: try aws.listTasks(cluster: "berth-\(tenant.name)", startedBy: id.uuidString.lowercased())).tasks
        #expect(tasks.count == 13)
        let workers = tasks.filter { $0.taskDefinitionArn?.contains("-worker") == true }
        #expect(workers.count == 12)
        if fargateSpot {
            #expect(workers.allSatisfy { $0.capacityProviderName == "FARGATE_SPOT" })
        } else {
            #expect(workers.allSatisfy { $0.launchType == "FARGATE" && $0.capacityProviderName != "FARGATE_SPOT" })
        }
        #expect(tasks.allSatisfy { $0.tags?.contains(ECSTag(Tag(Tags.cluster, id.uuidString.lowercased()))) == true })

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        let stopped = try h.waitFor(id, .stopped, worker: worker)
        #expect(stopped.schedulerAddress == nil)
        #expect(try h.leftovers(of: stopped).isEmpty)
        // Every step and state change is in the event stream.
        let types = try h.events(id).map(\.type)
        #expect(types.filter { $0 == "step.finished" }.count >= 11)
        let states = try h.events(id).filter { $0.type == "state" }.compactMap(\.state)
        #expect(states == ["pending", "starting", "ready", "stopping", "stopped"])
    }

    @Test func fiftyClustersInANewRegionShareOneNetwork() throws {
        let h = try ProvisioningHarness()
        // 100 Fargate vCPUs: over the emulated account's default Fargate quota (64).
        try h.realism(["quotas": ["fargate_vcpus": 128]])
        let tenant = try h.tenant()
        let ids = try (0..<50).map { try h.create(tenant, "c\($0)", spec: #"{"workers": 1, "region": "eu-west-2"}"#) }
        let workers = try (0..<2).map { _ in try h.worker(concurrency: 16) }
        defer { for w in workers { w.signal(SIGKILL) } }
        for id in ids { try h.waitFor(id, .ready, timeout: 120, worker: workers[0]) }
        #expect(try h.count("select count(*) as n from berth.jobs where kind = 'network.ensure'") == 1)
        #expect(try h.aws(region: "eu-west-2").describeVpcs().filter { !$0.isDefault }.count == 1)
        // Each cluster has its own security group in the one VPC.
        let groups = try h.aws(region: "eu-west-2").describeSecurityGroups(filters: [EC2Filter.tag(Tags.tenant, tenant.id.uuidString.lowercased())])
        #expect(Set(groups.compactMap(\.vpcId)).count == 1)
        #expect(groups.count == 50)
    }

    @Test func deleteDuringCreateStopsTheCreateAndCleansUp() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        // Slow AWS (every call 0.2 s) so the delete lands while the create is in flight.
        try h.injectFaults(rates: ["slow": 1.0])
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 3}"#)
        try poll(timeout: 60, "the create to make its security group") {
            try h.count("select count(*) as n from berth.steps where scope = $1 and step = 'security_group' and state = 'done'",
                        ["cluster:" + id.uuidString.lowercased()]) == 1
        }
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        let stopped = try h.waitFor(id, .stopped, timeout: 90, worker: worker)
        try h.injectFaults(plan: [])
        #expect(try h.leftovers(of: stopped).isEmpty)
        let create = try #require(stopped.createJob)
        #expect(try h.count("select count(*) as n from berth.jobs where id = $1 and state = 'cancelled'", [create]) == 1)
        // The create never reached ready.
        #expect(try h.events(id).filter { $0.type == "state" }.compactMap(\.state).contains("ready") == false)
    }

    @Test func cancellingTheCreateJobDeletesTheCluster() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let id = try h.create(tenant, "c1")
        let create = try #require(try h.cluster(id).createJob)
        let result = try h.berth(["jobs", "cancel", "\(create)"])
        #expect(result.status == 0, "\(result.output)")
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let stopped = try h.waitFor(id, .stopped, worker: worker)
        #expect(try h.leftovers(of: stopped).isEmpty)
    }

    @Test func throttlingAnd503sStillEndReady() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        try h.injectFaults(rates: ["throttle": 0.25, "503": 0.15])
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 4}"#)
        try h.waitFor(id, .ready, timeout: 120, worker: worker)
        let stats = try h.proxyStats()
        #expect((stats.faults["throttle"] ?? 0) > 0)
        #expect((stats.faults["503"] ?? 0) > 0)
    }

    @Test func wrongKeysEndInErrorAndCreateNothing() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        try h.injectFaults(rates: ["auth": 1.0])
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1")
        let failed = try h.waitFor(id, .error, worker: worker)
        #expect(failed.error?.contains("InvalidClientTokenId") == true || failed.error?.contains("AuthFailure") == true, "\(failed.error ?? "")")
        #expect(failed.error?.contains("berth iam-policy") == true)
        let stats = try h.proxyStats()
        #expect(stats.forwarded == 0, "nothing reached AWS")
        // The cleanup ran and left the cluster in error with the reason.
        try poll(timeout: 30, "cleanup to finish") {
            try h.count("select count(*) as n from berth.jobs where kind = 'cluster.delete' and state = 'succeeded'") == 1
        }
        #expect(try h.cluster(id).state == .error)
        // The user deletes it: stopping, then stopped, and the name is free again.
        let deleted = try h.berth(["cluster", "delete", "c1", "--tenant", tenant.name, "--wait"])
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(deleted.output.contains("[state -> stopping]") && deleted.output.contains("[state -> stopped]"), "\(deleted.output)")
        #expect(try h.cluster(id).state == .stopped)
    }
}

/// What users see in events when AWS pushes back.
@Suite struct ProvisioningEventTests {
    @Test func aMissingServiceLinkedRoleBerthMayNotCreateSaysHowToCreateIt() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        try h.injectFaults(rates: ["auth": 1.0], actions: ["CreateServiceLinkedRole"])
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1")
        let failed = try h.waitFor(id, .error, worker: worker)
        #expect(failed.error?.contains("aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com") == true,
                "\(failed.error ?? "")")
        let tenantEvents = try EventLog(h.connection).last(100, filter: .init(tenant: tenant.name))
        #expect(tenantEvents.contains { $0.type == "step.failed" && $0.step == "ecs_service_linked_role" })
    }

    @Test func berthCreatesAMissingServiceLinkedRoleAndSaysSo() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 0}"#)
        try h.waitFor(id, .ready, worker: worker)
        let tenantEvents = try EventLog(h.connection).last(100, filter: .init(tenant: tenant.name))
        #expect(tenantEvents.contains { $0.type == "info" && $0.message.contains("Berth created it") })
    }

    /// The create took effect and its answer was lost: the next run finds the role and still
    /// says Berth made it (it failed once in a full run, where 2% of answers are lost).
    @Test func berthSaysItCreatedTheServiceLinkedRoleWhenTheAnswerWasLost() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        try h.injectFaults(plan: ["lost"], actions: ["CreateServiceLinkedRole"])
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 0}"#)
        try h.waitFor(id, .ready, worker: worker)
        let tenantEvents = try EventLog(h.connection).last(100, filter: .init(tenant: tenant.name))
        #expect(tenantEvents.contains { $0.type == "info" && $0.message.contains("Berth created it (the answer to its request was lost") },
                "\(tenantEvents.map(\.message))")
    }

    @Test func aThrottledCallTheClientGivesUpOnIsARetryEventWithTheAWSCode() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        // More throttles in a row than the AWS client retries: the job retries with backoff.
        try h.injectFaults(plan: ["throttle", "throttle", "throttle", "throttle"], actions: ["CreateSecurityGroup"])
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 1}"#)
        try h.waitFor(id, .ready, worker: worker)
        let retry = try #require(try h.events(id).first { $0.type == "retry" })
        #expect(retry.step == "security_group")
        #expect(retry.data["aws_code"] == "RequestLimitExceeded", "\(retry.data)")
    }

    @Test func createWaitAndEventsFollowShowProgressLive() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let follower = try ChildProcess(arguments: ["events", "--tenant", tenant.name, "--follow", "--json"], environment: h.environment)
        defer { follower.signal(SIGKILL) }
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let created = try h.berth(["cluster", "create", "c1", "--tenant", tenant.name, "--spec", #"{"workers": 2}"#, "--wait"])
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("[state -> starting]"))
        #expect(created.output.contains("[step.finished] worker_tasks done"))
        #expect(created.output.contains("[state -> ready] ready: scheduler at tls://"))
        try poll(timeout: 10, "the follower to print the ready event") { follower.log.contains(#""state":"ready""#) }
        let shown = try h.berth(["cluster", "show", "c1", "--tenant", tenant.name])
        #expect(shown.status == 0 && shown.output.contains("scheduler_address") && shown.output.contains("[state -> ready]"), "\(shown.output)")
        // One JSON object per line.
        let lines = follower.log.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        let deleted = try h.berth(["cluster", "delete", "c1", "--tenant", tenant.name, "--wait"])
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(!deleted.output.contains("[state -> ready]"), "delete --wait shows only what follows the delete")
        #expect(deleted.output.contains("[state -> stopped]"))
        let resources = try h.berth(["cluster", "resources", "c1", "--tenant", tenant.name])
        #expect(resources.status == 0 && resources.output.contains("nothing in AWS"), "\(resources.output)")
    }
}

extension ProvisioningEventTests {
    /// A call the AWS client retries by itself (here after a 500) is a `retry` event at once,
    /// naming the call and the cause, before the step goes on: a slow or failing AWS is visible
    /// to `events --follow` while the call still waits.
    @Test func anInCallRetryIsARetryEventAtOnce() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        try h.injectFaults(plan: ["500"], actions: ["CreateSecurityGroup"])
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 1}"#)
        try h.waitFor(id, .ready, worker: worker)
        let events = try h.events(id)
        let retry = try #require(events.firstIndex { $0.type == "retry" && $0.step == "security_group" })
        #expect(events[retry].message.hasPrefix("security_group: retrying ec2:CreateSecurityGroup after InternalError (attempt 1 of 3) in "),
                "\(events[retry].message)")
        #expect(events[retry].data["aws_code"] == "InternalError" && events[retry].data["attempt"] == "1")
        let finished = try #require(events.firstIndex { $0.type == "step.finished" && $0.step == "security_group" })
        #expect(retry < finished)
    }

    @Test func dependencyViolationOnDeleteIsASnoozeNotARetry() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant()
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: #"{"workers": 1}"#)
        try h.waitFor(id, .ready, worker: worker)
        // ENIs still draining: AWS refuses to delete the group a few times.
        try h.injectFaults(plan: ["dependency", "dependency", "dependency"], actions: ["DeleteSecurityGroup"])
        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "c1")
        let stopped = try h.waitFor(id, .stopped, worker: worker)
        #expect(try h.leftovers(of: stopped).isEmpty)
        #expect(try h.events(id).contains { $0.type == "step.waiting" && $0.step == "delete.security_group" })
        let job = try #require(stopped.deleteJob)
        // Snoozes, not failed attempts.
        #expect(try h.count("select snoozes as n from berth.jobs where id = $1", [job]) >= 3)
        #expect(try h.count("select attempt as n from berth.jobs where id = $1", [job]) == 1)
    }
}
