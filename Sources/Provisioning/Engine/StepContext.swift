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
    /// What this step saved of its own progress in an earlier attempt (`saveProgress`).
    public let progress: StepOutputs
    let settings: ProvisioningSettings
    let events: EventTarget
    let progressWriter: (StepOutputs) throws -> Void

    init(step: String, scope: String, job: JobContext, aws: AWSClient, tags: Tags, outputs: StepOutputs,
         generation: Int, resumed: Bool, settings: ProvisioningSettings, events: EventTarget,
         progress: StepOutputs, progressWriter: @escaping (StepOutputs) throws -> Void) {
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
        self.progressWriter = progressWriter
    }

    /// Records how far a step with several AWS calls got (fenced, like every checkpoint), so a
    /// retry carries on from there rather than from the start.
    public func saveProgress(_ outputs: StepOutputs) throws {
        try progressWriter(outputs)
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
