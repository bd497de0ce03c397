import Foundation
import Postgres

/// Debian's PgBouncer (scripts/pgbouncer-start) on a free port in front of a PostgreSQL server,
/// for the tests of Berth through a pooler: every database on the server, trust for its user.
/// Stopped and removed on `deinit`.
public final class PgBouncer: @unchecked Sendable {
    public let state: String
    public let port: Int
    public let poolMode: PoolMode

    /// `serverURL`: any database on the server (the test's own, or the suite's shared server).
    public init(serverURL: String, poolMode: PoolMode = .transaction) throws {
        state = FileManager.default.temporaryDirectory.appendingPathComponent("berth-pgbouncer-\(UUID().uuidString.prefix(8))").path
        self.poolMode = poolMode
        let script = Project.root.appendingPathComponent("scripts/pgbouncer-start").path
        let start = try spawnAndWait(script, [state, serverURL, poolMode.rawValue])
        guard start.status == 0,
              let line = start.output.split(separator: "\n").first(where: { $0.hasPrefix("export PGBOUNCER_URL=") }),
              let port = URLComponents(string: String(line.dropFirst("export PGBOUNCER_URL=".count)))?.port else {
            _ = try? spawnAndWait(Project.root.appendingPathComponent("scripts/pgbouncer-stop").path, [state])
            throw SetupError("pgbouncer-start failed: \(start.output)")
        }
        self.port = port
    }

    deinit {
        _ = try? spawnAndWait(Project.root.appendingPathComponent("scripts/pgbouncer-stop").path, [state])
    }

    /// `directURL` (a database on the server behind) through PgBouncer: the same user and
    /// database, PgBouncer's port.
    public func url(for directURL: String) -> String {
        var components = URLComponents(string: directURL)!
        components.host = "127.0.0.1"
        components.port = port
        return components.string!
    }

    /// A `Database` whose statements go through PgBouncer and whose LISTEN goes to `directURL`.
    public func database(for directURL: String) -> Database {
        Database(url: url(for: directURL), listenURL: directURL, poolMode: poolMode)
    }

    /// The application names of PgBouncer's clients now (its admin console's SHOW CLIENTS, read
    /// with psql: the admin console speaks the simple query protocol only).
    public func clientApplicationNames() throws -> [String] {
        var components = URLComponents(string: url(for: "postgresql://berth@127.0.0.1/pgbouncer"))!
        components.path = "/pgbouncer"
        let (status, output) = try spawnAndWait("/usr/bin/psql", [components.string!, "-AtF", "\t", "-c", "show clients"])
        guard status == 0 else { throw SetupError("psql show clients: \(output)") }
        // SHOW CLIENTS columns: type, user, database, state, addr, port, local_addr, local_port,
        // connect_time, request_time, wait, wait_us, close_needed, ptr, link, remote_pid, tls,
        // application_name.
        return output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            return fields.count >= 18 ? String(fields[17]) : nil
        }
    }

    /// Its log (what it did with each client and server connection).
    public var log: String {
        (try? String(contentsOfFile: state + "/pgbouncer.log", encoding: .utf8)) ?? ""
    }
}
