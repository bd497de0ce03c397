import AWS
import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// VM clusters on EC2 in the emulator: create, GPUs, spot, delete.
@Suite struct VMClusterTests {
    @Test func spotWorkersThenDeleteLeavesNothing() throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant(gpuAccess: true)
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "spot", spec: #"{"backend": "vm", "workers": 3, "spot": true, "scheduler_cpu": 4, "worker_cpu": 4}"#)
        let ready = try h.waitFor(id, .ready, worker: worker)
        #expect(ready.schedulerAddress?.hasPrefix("tls://10.64.") == true)

        let aws = h.aws()
        let mine = EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())
        let instances = try aws.describeInstances(filters: [mine, EC2Filter("instance-state-name", "running")])
        #expect(instances.count == 4)
        let workers = instances.filter { $0.instanceType == "m6i.xlarge" && $0.instanceLifecycle == "spot" }
        #expect(workers.count == 3)
        #expect(workers.allSatisfy { $0.instanceLifecycle == "spot" })
        // The scheduler is sized from scheduler_cpu (4 vCPUs, 16 GiB by default).
        let scheduler = try #require(instances.first { $0.instanceType == "m6i.xlarge" && $0.instanceLifecycle != "spot" })
        #expect(scheduler.instanceLifecycle != "spot")
        // Default images come from the region's Amazon Linux 2023 family.
        let images = try aws.describeImages(ids: Array(Set(instances.map(\.imageId))))
        #expect(!images.isEmpty && images.allSatisfy { $0.name?.hasPrefix("al2023-ami-2023") == true })
        #expect(instances.allSatisfy { $0.tags.contains(Tag(Tags.tenant, tenant.id.uuidString.lowercased())) })
        #expect(instances.allSatisfy { $0.clientToken != nil })

        _ = try ClusterStore(h.connection).delete(tenant: tenant.name, name: "spot")
        try h.waitFor(id, .stopped, worker: worker)
        let left = try aws.describeInstances(filters: [mine]).filter { $0.state != "terminated" }
        #expect(left.isEmpty)
        #expect(try aws.describeSecurityGroups(filters: [mine]).isEmpty)
    }

    @Test(arguments: [
        (#"{"backend": "vm", "worker_gpus": 1, "worker_instance_type": "g4dn.12xlarge"}"#, "has 4 GPUs"),
        (#"{"backend": "vm", "worker_instance_type": "g5.48xlarge"}"#, "single GPU"),
        (#"{"backend": "vm", "worker_gpus": 1, "worker_instance_type": "m6i.large"}"#, "has no GPU"),
        (#"{"backend": "vm", "worker_instance_type": "zz9.mega"}"#, "zz9.mega"),
        (#"{"backend": "vm", "worker_instance_type": "m6g.large"}"#, "runs arm64"),
    ])
    func instanceTypesAreCheckedBeforeAnythingStarts(spec: String, message: String) throws {
        let h = try ProvisioningHarness()
        let tenant = try h.tenant(gpuAccess: true)
        let worker = try h.worker()
        defer { worker.signal(SIGKILL) }
        let id = try h.create(tenant, "c1", spec: spec)
        let failed = try h.waitFor(id, .error, worker: worker)
        #expect(failed.error?.contains(message) == true, "\(failed.error ?? "")")
        try poll(timeout: 30, "the cleanup to finish") {
            try h.count("select count(*) as n from berth.jobs where kind = 'cluster.delete' and state = 'succeeded'") == 1
        }
        let instances = try h.aws().describeInstances(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())])
        #expect(instances.isEmpty)
        #expect(try h.aws().describeSecurityGroups(filters: [EC2Filter.tag(Tags.cluster, id.uuidString.lowercased())]).isEmpty)
    }
}
