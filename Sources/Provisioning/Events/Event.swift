import Foundation
import Postgres

/// A row of `berth.events`: a step started or finished, a retry, a state change.
public struct Event: Sendable, Encodable {
    public var id: Int64
    public var at: Date
    public var tenant: String
    public var clusterId: UUID?
    public var clusterName: String?
    public var jobId: Int64?
    public var type: String
    public var step: String?
    public var state: String?
    public var message: String
    /// Values as text; nested ones as JSON text. `dataJSON` is the object as stored.
    public var data: [String: String]
    public var dataJSON: String

    /// The JSON keys are the columns' names (`berth events --json`); `data` is the stored object.
    enum CodingKeys: String, CodingKey {
        case id, at, tenant, clusterId = "cluster_id", clusterName = "cluster_name", jobId = "job_id", type, step, state, message, data
    }

    init(row: Row) throws {
        id = try row.decode("id")
        at = try row.decode("at")
        tenant = try row.decode("tenant")
        clusterId = try row.decodeIfPresent("cluster_id")
        clusterName = try row.decodeIfPresent("cluster_name")
        jobId = try row.decodeIfPresent("job_id")
        type = try row.decode("type")
        step = try row.decodeIfPresent("step")
        state = try row.decodeIfPresent("state")
        message = try row.decode("message")
        dataJSON = try row.decode("data")
        data = decodeOutputs(dataJSON)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(at, forKey: .at)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(uuid: clusterId, forKey: .clusterId)
        try c.encode(clusterName, forKey: .clusterName)
        try c.encode(jobId, forKey: .jobId)
        try c.encode(type, forKey: .type)
        try c.encode(step, forKey: .step)
        try c.encode(state, forKey: .state)
        try c.encode(message, forKey: .message)
        try c.encode(JSONValue(text: dataJSON), forKey: .data)
    }
}
