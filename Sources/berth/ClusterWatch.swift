import Foundation
import Postgres
import Provisioning

/// Follows one cluster's events until it reaches a final state.
enum ClusterWatch {
    static func follow(connection: Connection, clusterId: UUID, after: Int64 = 0, until states: Set<ClusterState>, success: ClusterState,
                       timeout: Double, json: Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var outcome: ClusterState?
        try EventLog(connection).follow(after: after, filter: .init(clusterId: clusterId), poll: 0.5, deadline: deadline) { event in
            Output.event(event, json: json)
            if event.type == "state", let state = event.state.flatMap(ClusterState.init(rawValue:)), states.contains(state) {
                // A state event carries the state after the change.
                outcome = state
                return false
            }
            return true
        }
        guard let outcome else {
            throw ExitCodeError(code: 1, message: "gave up waiting after \(Int(timeout)) s; the cluster keeps going (berth events --follow)")
        }
        if outcome != success { throw ExitCodeError(code: 1, message: "cluster ended \(outcome.rawValue)") }
    }
}
