import Foundation
import Postgres

/// What the CLI reads from the environment.
enum Environment {
    static var values: [String: String] { ProcessInfo.processInfo.environment }

    /// The database to use: `--database-url`, else `DATABASE_URL`, else the config file's
    /// `database-url` (the same order for every command). A string libpq cannot parse is bad
    /// input, and no message shows its password.
    static func databaseURL(_ flag: String? = nil, config: CLIConfig? = nil) throws -> String {
        let (url, source): (String, String)
        if let flag, !flag.isEmpty {
            (url, source) = (flag, "--database-url")
        } else if let value = values["DATABASE_URL"], !value.isEmpty {
            (url, source) = (value, "DATABASE_URL")
        } else if let value = try (config ?? CLIConfig.file(environment: values)).databaseURL, !value.isEmpty {
            (url, source) = (value, "database-url in \(CLIConfig.path(environment: values))")
        } else {
            throw UsageError("DATABASE_URL is not set: give a libpq URI such as postgresql://user@127.0.0.1:5432/berth (or --database-url, or database-url in \(CLIConfig.path(environment: values)))")
        }
        do { try ConnectionString.check(url) } catch { throw UsageError("\(source) is \(error.message)") }
        return url
    }

    static func connect(_ flag: String? = nil, config: CLIConfig? = nil) throws -> Connection {
        try Connection(url: try databaseURL(flag, config: config), applicationName: "berth cli")
    }

    /// Where `migrations/` is: `BERTH_MIGRATIONS_DIR`, next to the binary's package checkout
    /// (`.build/<config>/berth` → `migrations/`), `../share/berth/migrations` for an installed
    /// binary, or the current directory's `migrations/`.
    static func migrationsDirectory() throws -> URL {
        if let dir = values["BERTH_MIGRATIONS_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates: [URL] = []
        var dir = exe
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("migrations"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("share/berth/migrations"))
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations"))
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("0001_queue.sql").path) {
            return candidate
        }
        throw UsageError("cannot find the migrations folder: set BERTH_MIGRATIONS_DIR to the project's migrations/ directory")
    }
}
