import Foundation
import Glibc

/// A self-pipe: lets one thread wake another that is blocked in `poll` on a database socket.
final class WakePipe: @unchecked Sendable {
    let readFD: Int32
    private let writeFD: Int32
    /// A byte is in the pipe and not yet drained: further wakes would only add syscalls.
    private let lock = NSLock()
    private var pending = false

    init() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fatalError("pipe failed: errno \(errno)") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Wakes the waiter; cheap and safe to call often (one byte per wake-up, however many calls).
    func wake() {
        lock.lock()
        let first = !pending
        pending = true
        lock.unlock()
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Empties the pipe after a wake-up; the caller then looks at what changed. Reading before
    /// clearing `pending` matters: a wake skipped in between came before that look, and a wake
    /// after it writes a new byte. (Clearing first could swallow a new wake's byte and leave
    /// `pending` set with an empty pipe: every later wake would be skipped.)
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readFD, &buffer, buffer.count) > 0 {}
        lock.lock()
        pending = false
        lock.unlock()
    }
}
