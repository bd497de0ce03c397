import Foundation
import Postgres
import Queue

/// A step's row in `berth.steps`.
struct Checkpoint {
    enum State: String, TextEnum {
        case intent, done
        static let noun = "checkpoint state"
    }
    var state: State
    var generation: Int
    var clientToken: String?
    var outputs: StepOutputs
    var waitingSince: Date?
}

/// Reads and writes checkpoints. Writes are fenced on the job's lease token.
struct CheckpointStore {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    func load(scope: String) throws -> [String: Checkpoint] {
        var result: [String: Checkpoint] = [:]
        for row in try connection.query(ProvisioningSQL.checkpoints, [scope]) {
            let outputsText: String = try row.decode("outputs")
            result[try row.decode("step")] = Checkpoint(
                state: try row.decode("state", as: Checkpoint.State.self),
                generation: try row.decode("generation"), clientToken: try row.decodeIfPresent("client_token"),
                outputs: decodeOutputs(outputsText), waitingSince: try row.decodeIfPresent("waiting_since"))
        }
        return result
    }

    /// Writes the checkpoint (and the event, if any) in one statement. Throws
    /// `JobInterrupted(.leaseLost)` when the job no longer holds its lease.
    func write(scope: String, step: String, state: Checkpoint.State, generation: Int, token: String?, outputs: StepOutputs,
               waitingSince: Date?, job: JobContext, event: EventTarget.Pending?) throws {
        let row = try connection.queryRow(ProvisioningSQL.writeCheckpoint, [
            scope, step, state.rawValue, generation, job.job.id, job.leaseToken, token, encodeOutputs(outputs), waitingSince,
            event?.target.tenant ?? "", event?.target.clusterId, event?.target.clusterName, event?.type, event?.message ?? "",
            event.map { encodeOutputs($0.data) },
        ])
        let written: Int = try row?.decode("written") ?? 0
        if written == 0 { throw JobInterrupted(reason: .leaseLost) }
    }
}

func encodeOutputs(_ outputs: StepOutputs) -> JSONText {
    let data = (try? JSONSerialization.data(withJSONObject: outputs, options: [.sortedKeys])) ?? Data("{}".utf8)
    return JSONText(String(decoding: data, as: UTF8.self))
}

func decodeOutputs(_ text: String) -> StepOutputs {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
    var outputs: StepOutputs = [:]
    for (key, value) in object {
        // Nested values (an event's spec) stay JSON text rather than a Foundation description.
        if let string = value as? String {
            outputs[key] = string
        } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) {
            outputs[key] = String(decoding: data, as: UTF8.self)
        }
    }
    return outputs
}
