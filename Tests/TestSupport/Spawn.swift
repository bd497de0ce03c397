import Foundation
import Glibc

/// Runs a command to completion with `posix_spawn` + `waitpid`, its output going to a file.
/// For scripts that leave a daemon behind (pg-start): Foundation's `Process` can wait forever
/// on descriptors the daemon inherited, `waitpid` only waits for the script itself.
public func spawnAndWait(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("berth-spawn-\(UUID().uuidString).log").path
    defer { unlink(log) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard spawned == 0 else { throw SetupError("cannot start \(path): errno \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0
    return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
}

/// Runs `berth ARGS` with standard output a pipe whose reading end is already closed (as
/// after `| head -1` has read its line), standard error to a file. Returns how it ended: the
/// exit status, or the signal that killed it.
public func runBerthWithClosedStdout(_ arguments: [String], environment: [String: String] = [:],
                                     timeout: Double = 30) throws -> (status: Int32?, signal: Int32?, stderr: String) {
    let binary = try Project.berthBinary()
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("berth-closed-\(UUID().uuidString).log").path
    defer { unlink(log) }
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw SetupError("pipe: errno \(errno)") }
    close(fds[0])  // the reader is gone before the child writes anything
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[1])
    posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, binary, &actions, nil, argv, envp)
    close(fds[1])
    guard spawned == 0 else { throw SetupError("cannot start \(binary): errno \(spawned)") }
    var status: Int32 = 0
    do {
        try poll(timeout: timeout, every: 0.02, "berth \(arguments) to end after its standard output closed") {
            let done = waitpid(pid, &status, WNOHANG)
            if done < 0 && errno != EINTR { throw SetupError("waitpid: errno \(errno)") }
            return done == pid
        }
    } catch {
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        throw error
    }
    let stderr = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    let signal = status & 0x7f
    return signal == 0 ? ((status >> 8) & 0xff, nil, stderr) : (nil, signal, stderr)
}
