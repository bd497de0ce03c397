import Postgres

/// A tenant's network in one region (`berth.networks`), built once by `network.ensure` and
/// shared by the tenant's clusters there.
struct SharedNetwork {
    enum State: String, TextEnum {
        case creating, ready, error
        static let noun = "network state"
    }

    var state: State
    /// The network plan's outputs (`vpc_id`, `subnet_ids`, `ecs_cluster`, …) once `ready`.
    var outputs: StepOutputs
    var error: String?

    init(row: Row) throws {
        state = try row.decode("state", as: State.self)
        outputs = decodeOutputs(try row.decode("outputs", as: JSONText.self).text)
        error = try row.decodeIfPresent("error")
    }
}
