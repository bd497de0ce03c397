import AWS
import Foundation
import Logging
import Queue

/// What a running step sees: the outputs of the steps before it, its AWS client and tags,
/// its deterministic client token, and whether it is resuming an earlier attempt.
public final class StepContext: @unchecked Sendable {
    public let step: String
    public let scope: String
    public let job: JobContext
    public let aws: AWSClient
    public let tags: Tags
    /// Outputs of every finished step of this plan (and any plan run before it in this job).
    public let outputs: StepOutputs
    /// Bumped when a step must genuinely be redone; part of the client token.
    public let generation: Int
    /// An intent from an earlier attempt exists: look for what it may have made (by tag,
    /// by name, by client token) before making anything.
    public let resumed: Bool
    /// What this step saved of its own progress in an earlier attempt (`saveProgress`, or
    /// `remember` before a wait).
    public let progress: StepOutputs
    /// When this step's checkpoint was last written before this run (nil: never).
    let lastWritten: Date?
    /// When a create step of this scope last wrote its checkpoint (nil: none has): what they
    /// made may not show in describes until this is `settings.consistencyWindow` old.
    let lastCreateWritten: Date?
    let settings: ProvisioningSettings
    let events: EventTarget
    let progressWriter: (StepOutputs) throws -> Void
    /// `progress` with what this run saved or remembered since.
    private(set) var current: StepOutputs
    /// Whether `remember` added something that is not written yet.
    private(set) var unsaved = false

    init(step: String, scope: String, job: JobContext, aws: AWSClient, tags: Tags, outputs: StepOutputs,
         generation: Int, resumed: Bool, settings: ProvisioningSettings, events: EventTarget,
         progress: StepOutputs, lastWritten: Date? = nil, lastCreateWritten: Date? = nil,
         progressWriter: @escaping (StepOutputs) throws -> Void) {
        self.step = step
        self.scope = scope
        self.job = job
        self.aws = aws
        self.tags = tags.step(step)
        self.outputs = outputs
        self.generation = generation
        self.resumed = resumed
        self.settings = settings
        self.events = events
        self.progress = progress
        self.lastWritten = lastWritten
        self.lastCreateWritten = lastCreateWritten
        self.progressWriter = progressWriter
        current = progress
    }

    /// Records how far a step with several AWS calls got (fenced, like every checkpoint), so a
    /// retry carries on from there rather than from the start.
    public func saveProgress(_ outputs: StepOutputs) throws {
        current.merge(outputs) { $1 }
        try progressWriter(current)
        unsaved = false
    }

    /// Keeps ids AWS just returned (a new VPC, a new security group) with the step's progress
    /// without a write of its own: the engine writes them when the step waits or fails, so the
    /// next run uses the ids rather than a describe by tag that may not show them yet, and a
    /// "not found" naming them means "not visible yet" (see `knownIds`).
    public func remember(_ outputs: StepOutputs) {
        current.merge(outputs) { $1 }
        unsaved = true
    }

    /// The ids this plan made or adopted (earlier steps' outputs, this step's progress): AWS
    /// answering "not found" for one of them means it is not visible yet, not that it is gone.
    var knownIds: Set<String> {
        Set((Array(outputs.values) + Array(current.values)).flatMap { $0.split(separator: ",").map(String.init) })
    }

    /// Tells the event stream something the user should know (e.g. a role Berth created for them).
    public func note(_ message: String, data: StepOutputs = [:]) throws {
        try events.add(job: job, type: "info", step: step, message: message, data: data)
    }

    /// The idempotency token for this step's create (and `part`, e.g. a batch number): the same
    /// for every attempt, so a retry after a crash sends the token AWS has seen.
    public func clientToken(_ part: String? = nil) -> String {
        ClientToken.make(scope: scope, step: step, generation: generation, part: part)
    }

    /// An output of an earlier step that must be there.
    public func require(_ key: String) throws -> String {
        guard let value = outputs[key], !value.isEmpty else {
            throw StepFailure("internal: step \(step) needs output \(key), which no earlier step recorded")
        }
        return value
    }

    public func list(_ key: String) -> [String] {
        (outputs[key] ?? "").split(separator: ",").map(String.init)
    }

    /// How long waits for AWS snooze between looks.
    public var pollInterval: Double { settings.pollInterval }

    public var logger: Logger { job.logger }
}

/// Deterministic idempotency tokens: 32 hex digits of SHA-256 over (scope, step, generation, part).
public enum ClientToken {
    public static func make(scope: String, step: String, generation: Int, part: String? = nil) -> String {
        let text = "berth/\(scope)/\(step)/\(generation)" + (part.map { "/\($0)" } ?? "")
        return String(Digest.sha256Hex(Array(text.utf8)).prefix(32))
    }
}
