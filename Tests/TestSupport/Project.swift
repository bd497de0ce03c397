import Foundation

/// Where things are when tests run: the project root, the server, the built binary.
public enum Project {
    /// The package root, found from this file's path.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `DATABASE_URL` (set by `scripts/test`), optionally pointed at another database.
    public static func databaseURL(database: String? = nil) throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw SetupError("DATABASE_URL is not set: run the tests with scripts/test, which starts a private PostgreSQL")
        }
        guard let database else { return url }
        guard var components = URLComponents(string: url) else { throw SetupError("DATABASE_URL is not a URI") }
        components.path = "/" + database
        return components.string!
    }

    /// The `berth` binary built by `swift build` (`BERTH_BIN` overrides).
    public static func berthBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["BERTH_BIN"], !path.isEmpty { return path }
        // The test bundle sits next to the binary in .build/<triple>/debug/.
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDir.appendingPathComponent("berth"), root.appendingPathComponent(".build/debug/berth")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate.path
        }
        throw SetupError("the berth binary is not built: run `swift build` first (scripts/test does), or set BERTH_BIN")
    }
}

public struct SetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
