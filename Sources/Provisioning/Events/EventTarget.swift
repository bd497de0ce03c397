import Foundation
import Postgres
import Queue

/// Whose event stream a job writes to: a tenant, and the cluster when there is one.
struct EventTarget: Sendable {
    let tenant: String
    let clusterId: UUID?
    let clusterName: String?

    /// An event to write in the same statement as a checkpoint.
    struct Pending {
        let target: EventTarget
        let type: String
        let message: String
        let data: StepOutputs
    }

    func add(job: JobContext, type: String, step: String? = nil, message: String, data: StepOutputs = [:]) throws {
        try job.withConnection { connection in
            try add(on: connection, jobId: job.job.id, type: type, step: step, message: message, data: data)
        }
    }

    func add(on connection: Connection, jobId: Int64?, type: String, step: String? = nil, message: String, data: StepOutputs = [:]) throws {
        try connection.execute(ProvisioningSQL.addEvent, [
            tenant, clusterId, clusterName, jobId, type, step, message, data.isEmpty ? nil : encodeOutputs(data),
        ])
    }
}
