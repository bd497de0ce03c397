import AWS
import Foundation

/// Creates AWS does not deduplicate (no client token, no unique name: a VPC, a subnet, an
/// internet gateway). EC2 is eventually consistent: for a while after a create, a describe by
/// tag may not show what it made. So after a crash or a lost answer, "nothing found by tag" is
/// not proof that nothing was made until the consistency window has passed.
extension StepContext {
    /// The progress key holding when a create of this step may have taken effect without its
    /// id being recorded (epoch seconds; empty: every create of the last run was recorded).
    static let unrecordedCreateKey = "unrecorded_create_at"

    /// Makes one `what` (a VPC, the subnet in us-east-2a), never two: a resumed step first
    /// `look`s (by tag) for what an earlier attempt made. When it finds nothing but a create may
    /// have been sent less than `settings.consistencyWindow` ago without its id recorded (its
    /// answer was lost, or the worker died), it throws `StepPending` and looks again once the
    /// window has passed. A create whose answer is lost (`outcomeUnknown`) is recorded the same
    /// way. The caller `remember`s the id `create` returns before anything else can fail.
    func createOnce<T>(_ what: String, look: () throws -> T?, create: () throws -> T) throws -> T {
        if resumed {
            if let found = try look() { return found }
            if let since = unrecordedCreateAt {
                let age = Date().timeIntervalSince(since)
                if age < settings.consistencyWindow {
                    // Keep the time: the waits that follow write the checkpoint again.
                    remember([Self.unrecordedCreateKey: Self.epoch(since)])
                    throw StepPending("\(what), which an earlier attempt may have made, to show in describes",
                                      atLeast: settings.consistencyWindow - age)
                }
            }
        }
        do {
            return try create()
        } catch let error as AWSError where error.classification == .outcomeUnknown {
            remember([Self.unrecordedCreateKey: Self.epoch(Date())])
            throw StepPending("\(what), which the lost create may have made, to show in describes",
                              retry: .init(type: "retry",
                                           message: "\(step): the answer to \(error.service.rawValue):\(error.operation) was lost (\(error.code)); it may have made \(what), so Berth looks for it before creating again",
                                           data: StepDecisions.awsData(error)),
                              atLeast: settings.consistencyWindow)
        }
    }

    /// When a create of this step may have taken effect unrecorded: the time a lost answer
    /// left; else, when the last run ended without saying (a crash, or the step's first
    /// resume), the checkpoint's last write, the latest trace of that run.
    private var unrecordedCreateAt: Date? {
        guard let text = current[Self.unrecordedCreateKey] else { return lastWritten }
        return Double(text).map { Date(timeIntervalSince1970: $0) }
    }

    static func epoch(_ date: Date) -> String { String(format: "%.3f", date.timeIntervalSince1970) }
}
