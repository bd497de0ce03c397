import AWS

/// A failure retrying cannot fix, with what to do about it: the engine writes `step.failed`
/// (with `data`, such as the quota's code) and the job fails at once.
public struct StepFailure: Error, CustomStringConvertible {
    public let message: String
    public let data: StepOutputs
    public init(_ message: String, data: StepOutputs = [:]) {
        self.message = message
        self.data = data
    }
    public var description: String { message }

    /// An account quota refused the request (`detail`: what AWS said): which quota, in which
    /// region, and how to raise it.
    static func quota(_ quota: AWSQuota, region: String, detail: String) -> StepFailure {
        StepFailure(StepDecisions.quotaMessage(quota, region: region, detail: detail), data: StepDecisions.quotaData(quota))
    }
}
