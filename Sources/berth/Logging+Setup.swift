import Foundation
import Logging

/// swift-log output for the CLI: `BERTH_LOG_LEVEL` (trace…critical, default info) and
/// `BERTH_LOG_FORMAT` (`text` or `json`), one line per event on standard error.
enum LogSetup {
    static func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let levelText = environment["BERTH_LOG_LEVEL"]?.lowercased() ?? "info"
        guard let level = Logger.Level(rawValue: levelText == "warn" ? "warning" : levelText) else {
            throw UsageError("BERTH_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical; got '\(levelText)'")
        }
        let format = environment["BERTH_LOG_FORMAT"]?.lowercased() ?? "text"
        guard format == "text" || format == "json" else {
            throw UsageError("BERTH_LOG_FORMAT must be text or json; got '\(format)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, json: format == "json")
            handler.logLevel = level
            return handler
        }
    }
}

struct LineLogHandler: LogHandler {
    let label: String
    let json: Bool
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
             source: String, file: String, function: String, line: UInt) {
        var all = metadata
        if let explicit { all.merge(explicit) { $1 } }
        let time = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt,
                                               formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        var text: String
        if json {
            var object: [String: Any] = ["ts": time, "level": level.rawValue, "msg": message.description, "logger": label]
            for (key, value) in all { object[key] = "\(value)" }
            text = Output.jsonText(object)
        } else {
            // Messages and metadata carry job errors and other values from the database.
            text = "\(time) \(level.rawValue.uppercased()) \(Output.escape(message.description))"
            for key in all.keys.sorted() { text += " \(key)=\(Output.escape("\(all[key]!)"))" }
        }
        text += "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
