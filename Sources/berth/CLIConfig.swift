import Foundation
import Postgres

/// The CLI's defaults: flags beat the environment, the environment beats the config file,
/// and what none of them sets is left to the tenant's defaults and then the system's (the
/// SQL API applies those).
///
/// File: `$XDG_CONFIG_HOME/berth/config.yaml` (else `~/.config/berth/config.yaml`):
///
///     database-url: postgresql://berth@127.0.0.1:5432/berth
///     backend-options:
///       region: us-west-1
///       fargate_spot: true
///       backend: ecs
///
/// Environment: `DATABASE_URL`, `BERTH_REGION`, `BERTH_FARGATE_SPOT`, `BERTH_BACKEND`.
struct CLIConfig: Equatable {
    var databaseURL: String?
    var region: String?
    var fargateSpot: Bool?
    var backend: String?

    static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CLIConfig {
        var config = try file(environment: environment)
        if let value = environment["DATABASE_URL"], !value.isEmpty { config.databaseURL = value }
        if let value = environment["BERTH_REGION"], !value.isEmpty { config.region = value }
        if let value = environment["BERTH_BACKEND"], !value.isEmpty { config.backend = value }
        if let value = environment["BERTH_FARGATE_SPOT"], !value.isEmpty {
            guard let flag = parseBool(value) else { throw UsageError("BERTH_FARGATE_SPOT must be true or false, got '\(value)'") }
            config.fargateSpot = flag
        }
        return config
    }

    static func path(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return "\(xdg)/berth/config.yaml" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return "\(home)/.config/berth/config.yaml"
    }

    /// The file's settings; no file means none.
    static func file(environment: [String: String]) throws -> CLIConfig {
        let path = path(environment: environment)
        guard let data = FileManager.default.contents(atPath: path) else { return CLIConfig() }
        do { return try parse(String(decoding: data, as: UTF8.self)) } catch let error as UsageError {
            throw UsageError("\(path): \(error.description)")
        }
    }

    /// The file is a small YAML subset: `key: value` lines, one nested map under
    /// `backend-options:` (indented), `#` comments, optional quotes. Anything else is refused
    /// with the line number, rather than half-understood.
    static func parse(_ text: String) throws -> CLIConfig {
        var config = CLIConfig()
        var section: String?
        for (index, raw) in text.components(separatedBy: .newlines).enumerated() {
            let line = stripComment(raw)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let indented = line.first == " " || line.first == "\t"
            // Keep the empty value of `backend-options:` (split drops empty pieces by default,
            // which made every file with that section "malformed").
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw UsageError("line \(index + 1): expected 'key: value', got '\(raw)'")
            }
            let key = parts[0]
            let value = unquote(parts[1])
            if !indented {
                section = nil
                switch key {
                case "database-url", "database_url": config.databaseURL = value
                case "backend-options", "backend_options":
                    guard value.isEmpty else { throw UsageError("line \(index + 1): backend-options holds indented keys") }
                    section = "backend-options"
                default:
                    throw UsageError("line \(index + 1): unknown key '\(key)'; allowed: database-url, backend-options")
                }
                continue
            }
            guard section == "backend-options" else { throw UsageError("line \(index + 1): unexpected indentation") }
            switch key {
            case "region": config.region = value
            case "backend": config.backend = value
            case "fargate_spot", "fargate-spot":
                guard let flag = parseBool(value) else { throw UsageError("line \(index + 1): fargate_spot must be true or false") }
                config.fargateSpot = flag
            default:
                throw UsageError("line \(index + 1): unknown backend option '\(key)'; allowed: region, fargate_spot, backend")
            }
        }
        return config
    }

    private static func stripComment(_ line: String) -> String {
        var inQuotes: Character?
        for (offset, char) in line.enumerated() {
            if char == "\"" || char == "'" { inQuotes = inQuotes == char ? nil : (inQuotes ?? char) }
            if char == "#" && inQuotes == nil { return String(line.prefix(offset)) }
        }
        return line
    }

    private static func unquote(_ value: String) -> String {
        if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
            return String(value.dropFirst().dropLast())
        }
        return value
    }

    static func parseBool(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }
}

extension JobsCommand.Common {
    /// A connection to `--database-url`, else `DATABASE_URL`, else the config file's database-url.
    func connect(config: CLIConfig? = nil) throws -> Connection {
        try Environment.connect(databaseURL, config: config)
    }
}
