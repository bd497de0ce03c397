/// A failure retrying cannot fix, with what to do about it: the engine writes `step.failed`
/// and the job fails at once.
public struct StepFailure: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
