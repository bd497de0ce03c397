import AWS
import Foundation

/// Resource ids and addresses a step produced; later steps read them. Lists are comma-joined.
public typealias StepOutputs = [String: String]

/// One named, idempotent unit of a plan.
public struct Step: Sendable {
    public enum Kind: Sendable {
        /// Makes something in AWS: an intent (with the client token) is written before the call,
        /// so a crash after the call leaves a trace that the resumed step adopts by tag.
        case create
        /// Reads or waits only (or changes nothing that could be duplicated).
        case check
    }

    public let name: String
    public let kind: Kind
    /// How long the step may wait for AWS (snoozing) before the plan fails; nil: the
    /// settings' `stepWaitDeadline` (`BERTH_AWS_WAIT_DEADLINE`).
    public let waitDeadline: Double?
    let body: @Sendable (StepContext) throws -> StepOutcome

    public init(_ name: String, _ kind: Kind, waitDeadline: Double? = nil, _ body: @escaping @Sendable (StepContext) throws -> StepOutcome) {
        self.name = name
        self.kind = kind
        self.waitDeadline = waitDeadline
        self.body = body
    }
}

public enum StepOutcome: Sendable {
    case done(StepOutputs)
    /// Not yet (AWS is working): look again in `seconds`. Never a sleep in a worker.
    case wait(seconds: Double, reason: String)
}

/// A plan: the steps that build (or tear down) one scope, in order.
public struct Plan: Sendable {
    /// What the checkpoints belong to: `cluster:<id>`, `network:<tenant id>:<region>`, `tenant:<id>`.
    public let scope: String
    public let steps: [Step]
}
