import Foundation
import Postgres

/// What the CLI reads from the environment.
enum Environment {
    static var values: [String: String] { ProcessInfo.processInfo.environment }

    static func databaseURL(_ flag: String? = nil) throws -> String {
        if let flag, !flag.isEmpty { return flag }
        guard let url = values["DATABASE_URL"], !url.isEmpty else {
            throw UsageError("DATABASE_URL is not set: give a libpq URI such as postgresql://user@127.0.0.1:5432/berth (or --database-url)")
        }
        return url
    }

    static func connect(_ flag: String? = nil) throws -> Connection {
        try Connection(url: try databaseURL(flag), applicationName: "berth cli")
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
