import Foundation

/// One numbered `.sql` file from `migrations/`: `0001_queue.sql` is version 1, named `queue`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// The file it came from, for messages (`0001_queue.sql`).
    public let file: String

    public init(version: Int, name: String, sql: String, file: String? = nil) {
        self.version = version
        self.name = name
        self.sql = sql
        self.file = file ?? String(format: "%04d_%@.sql", version, name)
    }

    /// Reads every `NNNN_name.sql` in `directory`, sorted by version. Two files with the same
    /// version, or a `.sql` file without a number, is an error: the order must be unambiguous.
    public static func load(from directory: URL) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var result: [Migration] = []
        for file in names {
            let stem = String(file.dropLast(4))
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard let first = parts.first, let version = Int(first), version > 0 else {
                throw PostgresError(.usage, operation: "load_migrations",
                                    message: "\(file): migration files are named NNNN_name.sql with a positive number")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            result.append(Migration(version: version, name: parts.count > 1 ? String(parts[1]) : stem, sql: sql, file: file))
        }
        result.sort { $0.version < $1.version }
        for (a, b) in zip(result, result.dropFirst()) where a.version == b.version {
            throw PostgresError(.usage, operation: "load_migrations",
                                message: "two migrations have version \(a.version): \(a.name) and \(b.name)")
        }
        return result
    }
}
