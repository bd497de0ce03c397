import Foundation
import Postgres
@testable import Provisioning
import Queue
import Testing

/// Typed values fail closed: an unknown state, backend or AWS mode is an error that names it,
/// never a default; job arguments decode or fail the job for good.
@Suite struct DomainTests {
    @Test func requestValuesAreBadInputThatQuoteThem() throws {
        #expect(throws: ProvisioningError.invalid("backend must be ecs or vm, got 'k8s'")) { try Backend(parsing: "k8s") }
        #expect(throws: ProvisioningError.invalid("AWS mode must be managed or own, got 'shared'")) { try Tenant.AWSMode(parsing: "shared") }
        #expect(try Backend(parsing: "vm") == .vm)
        let long = String(repeating: "x", count: 500)
        #expect(throws: ProvisioningError.invalid("backend must be ecs or vm, got '\(String(repeating: "x", count: 100))…' (500 characters)")) {
            try Backend(parsing: long)
        }
    }

    /// Read from a row, an unknown value is a decoding error (the AWS mode used to be read as
    /// `managed`, spending the service's account on the tenant's behalf).
    @Test func storedValuesFailClosed() {
        for (make, phrase) in [
            ({ _ = try Tenant.AWSMode(stored: "shared", column: "aws_mode") }, "unknown AWS mode 'shared' in aws_mode (this version knows managed or own)"),
            ({ _ = try ClusterState(stored: "paused", column: "state") },
             "unknown cluster state 'paused' in state (this version knows pending, starting, ready, scaling, degraded, stopping, stopped or error)"),
            ({ _ = try DesiredState(stored: "gone", column: "desired") }, "unknown desired state 'gone'"),
            ({ _ = try Checkpoint.State(stored: "half", column: "state") }, "unknown checkpoint state 'half'"),
            ({ _ = try SharedNetwork.State(stored: "building", column: "state") }, "unknown network state 'building'"),
        ] as [(() throws -> Void, String)] {
            do {
                try make()
                Issue.record("\(phrase): no error")
            } catch let error as PostgresError {
                #expect(error.message.contains(phrase), "\(error.message)")
            } catch {
                Issue.record("\(phrase): \(error)")
            }
        }
    }

    @Test func aSpecWithAnUnknownBackendDoesNotDecode() throws {
        let spec = #"{"backend": "k8s", "region": "us-east-2", "workers": 1, "worker_gpus": 0, "worker_cpu": 1, "worker_memory": 2, "scheduler_cpu": 1, "scheduler_memory": 2}"#
        do {
            _ = try ClusterSpec.decode(spec)
            Issue.record("decoded")
        } catch {
            #expect("\(error)".contains("unknown backend 'k8s'"), "\(error)")
        }
        #expect(try ClusterSpec.decode(spec.replacingOccurrences(of: "k8s", with: "vm")).backend == .vm)
    }

    @Test func everyBackendHasItsSteps() {
        for backend in Backend.allCases {
            #expect(!backend.implementation.readinessSteps(for: Self.cluster(backend)).isEmpty, "\(backend)")
            #expect(backend.implementation.teardownSteps(for: Self.cluster(backend)).last?.name == "delete.security_group", "\(backend)")
        }
    }

    static func cluster(_ backend: Backend) -> Cluster {
        let spec = try! ClusterSpec.decode(#"{"backend": "\#(backend.rawValue)", "region": "us-east-2", "workers": 1, "worker_gpus": 0, "worker_cpu": 1, "worker_memory": 2, "scheduler_cpu": 1, "scheduler_memory": 2}"#)
        return Cluster(id: UUID(), tenantId: UUID(), tenant: "t", name: "c", state: .pending, desired: .running, error: nil, backend: backend,
                       region: "us-east-2", spec: spec, schedulerAddress: nil, schedulerPublicAddress: nil, activeJob: nil, createJob: nil,
                       deleteJob: nil, keepError: false, createdAt: Date(), updatedAt: Date())
    }

    @Test func jobArgumentsDecodeOrFailForGood() throws {
        let id = UUID()
        #expect(try ClusterJobArguments(args: JSONText(#"{"cluster_id": "\#(id.uuidString.lowercased())"}"#)).clusterId == id)
        let network = try NetworkJobArguments(args: JSONText(#"{"tenant_id": "\#(id.uuidString.lowercased())", "region": "eu-west-2"}"#))
        #expect(network.tenantId == id && network.region == "eu-west-2")
        for bad in [#"{}"#, #"{"cluster_id": "nope"}"#, #"[1]"#] {
            do {
                _ = try ClusterJobArguments(args: JSONText(bad))
                Issue.record("\(bad) decoded")
            } catch let error as JobError {
                #expect(!error.isRetryable && error.message == "job args must hold cluster_id (a uuid), got '\(bad)'")
            }
        }
        #expect(throws: JobError.self) { try NetworkJobArguments(args: JSONText(#"{"tenant_id": "\#(id.uuidString)"}"#)) }
    }
}
