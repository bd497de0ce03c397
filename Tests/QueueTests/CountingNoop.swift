import Foundation
import Queue

/// The `noop` handler, counting the attempts that reached it: a job the database shows as
/// running may still wait in the process for a free worker thread.
final class CountingNoop: JobHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var started: Int { lock.lock(); defer { lock.unlock() }; return count }

    func run(_ context: JobContext) throws -> JobResult {
        lock.lock(); count += 1; lock.unlock()
        return try NoopJob().run(context)
    }
}
