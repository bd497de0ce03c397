import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The auth moto's checks are switched for the whole server (`POST /moto-api/reset-auth`), so
/// tests that switch them must not overlap. They may live in different test targets (and,
/// with XCTest's `--parallel`, in different processes), hence a file lock: the file is
/// `BERTH_EMULATOR_AUTH_LOCK` (scripts/emulator/start puts it in the emulator's state
/// folder), else one in /tmp.
public enum AuthEmulatorLock {
    public static var path: String {
        let configured = ProcessInfo.processInfo.environment["BERTH_EMULATOR_AUTH_LOCK"] ?? ""
        return configured.isEmpty ? "/tmp/berth-emulator-auth.lock" : configured
    }

    /// Runs `body` holding the lock; waits for it (polling, up to `timeout` seconds).
    public static func with<T>(timeout: Double = 180, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SetupError("cannot open the auth emulator lock \(path): errno \(errno)") }
        defer { close(fd) }
        try poll(timeout: timeout, every: 0.02, "the auth emulator lock \(path), which another test holds") {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            guard errno == EWOULDBLOCK || errno == EINTR else { throw SetupError("flock \(path): errno \(errno)") }
            return false
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
