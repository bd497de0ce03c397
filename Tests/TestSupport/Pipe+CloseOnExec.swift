import Foundation
import Glibc

extension Pipe {
    /// A pipe whose two ends are close-on-exec. Tests spawn children in parallel: a child
    /// started by another test while this pipe is open would otherwise inherit its write end
    /// and hold it open as long as it lives (a console or worker: the whole test), so the
    /// reader here would never see the end of the output. The child the pipe is for still gets
    /// it: `Process` hands it over with dup2, which clears the flag on the copy.
    public static func closedOnExec() -> Pipe {
        let pipe = Pipe()
        for fd in [pipe.fileHandleForReading.fileDescriptor, pipe.fileHandleForWriting.fileDescriptor] {
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        }
        return pipe
    }
}
