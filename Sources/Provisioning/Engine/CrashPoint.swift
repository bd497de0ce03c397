import Foundation

/// Test-only fault injection: `BERTH_TEST_CRASH_AT=<step>:<point>` makes the worker process
/// kill itself with SIGKILL at that point of that step, so tests can show what a real crash
/// leaves behind. Points: before the intent is written, after it, after AWS answered but
/// before the checkpoint, after the checkpoint.
public enum CrashPoint: String, Sendable, CaseIterable {
    case beforeIntent = "before_intent"
    case afterIntent = "after_intent"
    case afterCall = "after_call"
    case afterCheckpoint = "after_checkpoint"

    static func hit(_ point: CrashPoint, step: String, settings: ProvisioningSettings) {
        guard let target = settings.crashAt, target == "\(step):\(point.rawValue)" else { return }
        FileHandle.standardError.write(Data("berth: BERTH_TEST_CRASH_AT=\(target): killing this worker\n".utf8))
        kill(getpid(), SIGKILL)
    }
}
