import Foundation
import Glibc

/// Turns SIGTERM/SIGINT into a callback on a dedicated thread. The signals are blocked in
/// every thread (the mask is inherited by threads created afterwards) and taken with
/// `sigwait`, so no async-signal-safety rules apply to the callback.
final class SignalWatcher: @unchecked Sendable {
    private var set = sigset_t()

    /// Call before any other thread starts.
    init(signals: [Int32]) {
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// `handler` gets how many signals arrived so far (a second one means "hurry").
    func start(_ handler: @escaping @Sendable (Int) -> Void) {
        let watched = set
        let thread = Thread {
            var set = watched
            var count = 0
            while true {
                var signal: Int32 = 0
                guard sigwait(&set, &signal) == 0 else { continue }
                count += 1
                handler(count)
            }
        }
        thread.name = "berth-signals"
        thread.start()
    }
}
