import Foundation
import Glibc
import Postgres

/// A PostgreSQL server of a test's own (scripts/pg-start), for tests that restart, crash,
/// freeze or exhaust it: the suite's shared server serves every other test in parallel.
/// Stopped and removed on `deinit`.
public final class PrivateServer: @unchecked Sendable {
    public let state: String
    /// The `berth` database, migrated.
    public let url: String

    /// `settings`: extra server settings (`max_connections=20`, `wal_writer_delay=10s`).
    public init(settings: [String] = []) throws {
        state = FileManager.default.temporaryDirectory.appendingPathComponent("berth-pg-\(UUID().uuidString.prefix(8))").path
        let start = try PrivateServer.script("pg-start", [state] + settings.flatMap { ["-c", $0] })
        guard start.status == 0,
              let line = start.output.split(separator: "\n").first(where: { $0.hasPrefix("export DATABASE_URL=") }) else {
            _ = try? PrivateServer.script("pg-stop", [state])
            throw SetupError("pg-start failed: \(start.output)")
        }
        url = String(line.dropFirst("export DATABASE_URL=".count))
        let migrations = try Migration.load(from: Project.root.appendingPathComponent("migrations"))
        try Migrator(migrations: migrations).apply(on: try Connection(url: url, applicationName: "berth tests"))
    }

    deinit {
        signalAll(SIGCONT)
        _ = try? PrivateServer.script("pg-stop", [state])
    }

    /// `url` with another user (roles are server-wide).
    public func url(user: String) -> String {
        var components = URLComponents(string: url)!
        components.user = user
        return components.string!
    }

    public var port: Int { Int(URLComponents(string: url)!.port!) }

    /// A fast shutdown and start (every connection is closed by the server).
    public func restart() throws {
        let result = try PrivateServer.script("pg-restart", [state])
        guard result.status == 0 else { throw SetupError("pg-restart failed: \(result.output)") }
    }

    /// Runs `body` on a new connection, again while the server comes back (after `restart()`).
    public func retrying<T>(timeout: Double = 30, _ body: (Connection) throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do { return try body(try Connection(url: url, applicationName: "berth tests")) } catch let error as PostgresError
                where error.isConnectionError && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.05)  // back-off between attempts while the server starts
            }
        }
    }

    /// A crash: the postmaster and every server process SIGKILLed at once (what a power cut or
    /// the OOM killer does), then a start, which replays the WAL: whatever was not flushed is
    /// gone.
    public func crash() throws {
        let pids = processes()
        for pid in pids { kill(pid, SIGKILL) }
        try poll(timeout: 10, "the killed server processes to be gone") { pids.allSatisfy { !PrivateServer.alive($0) } }
        // A killed postmaster may stay a zombie (nothing reaps it here), which pg_ctl and the
        // server take for a live one: its pid file and socket lock go, stale as after a reboot.
        try? FileManager.default.removeItem(atPath: state + "/data/postmaster.pid")
        for file in (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? [] where file.hasPrefix(".s.PGSQL.") {
            try? FileManager.default.removeItem(atPath: state + "/" + file)
        }
        try restart()
    }

    /// SIGSTOP to the postmaster and every server process: the server accepts TCP connections
    /// (the kernel does) and answers nothing.
    public func freeze() { signalAll(SIGSTOP) }
    public func thaw() { signalAll(SIGCONT) }

    private func signalAll(_ signal: Int32) {
        for pid in processes() { kill(pid, signal) }
    }

    /// The postmaster (from its pid file) and its children, by pid.
    private func processes() -> [pid_t] {
        guard let text = try? String(contentsOfFile: state + "/data/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n").first, let postmaster = pid_t(first) else { return [] }
        var pids = [postmaster]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == postmaster { pids.append(pid) }
        }
        return pids
    }

    private static func alive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }

    private static func script(_ name: String, _ args: [String]) throws -> (status: Int32, output: String) {
        try spawnAndWait(Project.root.appendingPathComponent("scripts/\(name)").path, args)
    }
}
