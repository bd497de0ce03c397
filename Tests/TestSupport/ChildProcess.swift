import Foundation
import Glibc

/// A `berth` process started by a test (a real child: it can be SIGKILLed or SIGTERMed).
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe.closedOnExec()
    private let lock = NSLock()
    private var collected = Data()
    /// The pipe reached its end: everything the child wrote is in `collected`.
    private var ended = false

    public init(arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: try Project.berthBinary())
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            guard let self else { return }
            self.lock.lock()
            if data.isEmpty { self.ended = true } else { self.collected.append(data) }
            self.lock.unlock()
        }
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit (polling, with a deadline) and for the last of its output, so that `log`
    /// then holds everything it wrote; returns the exit status.
    ///
    /// The pipe's end can be late: a process another test spawned at the wrong moment may hold
    /// a copy of its write end (seen with long-lived consoles and workers in parallel tests). The
    /// child is gone, so all it wrote is in the pipe: after a short wait for the end, what is
    /// left is read without waiting.
    @discardableResult
    public func waitForExit(timeout: Double = 30) throws -> Int32 {
        try poll(timeout: timeout, "process \(pid) to exit") { !process.isRunning }
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline && !lock.withLock({ ended }) { Thread.sleep(forTimeInterval: 0.01) }
        if !lock.withLock({ ended }) { drainWithoutWaiting() }
        return process.terminationStatus
    }

    private func drainWithoutWaiting() {
        let handle = output.fileHandleForReading
        handle.readabilityHandler = nil
        let fd = handle.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            lock.withLock { collected.append(contentsOf: buffer[0..<count]) }
        }
        lock.withLock { ended = true }
    }

    public var log: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        output.fileHandleForReading.readabilityHandler = nil
    }
}

/// Runs `berth ARGS` to completion and returns (exit status, stdout+stderr). A run that takes
/// longer than `timeout` seconds is killed (a command that should end but does not fails its
/// test instead of hanging the suite).
public func runBerth(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
                     timeout: Double = 120) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try Project.berthBinary())
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    let out = Pipe.closedOnExec()
    process.standardOutput = out
    process.standardError = out
    let input = Pipe.closedOnExec()
    process.standardInput = input
    try process.run()
    let watchdog = Thread { [process] in
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    watchdog.start()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL {
        throw SetupError("berth \(arguments) still ran after \(timeout)s and was killed:\n\(output.suffix(2000))")
    }
    return (process.terminationStatus, output)
}
