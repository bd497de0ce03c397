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
        let time = LineLogHandler.timestamp()
        var text: String
        if json {
            var object: [String: Any] = ["ts": time, "level": level.rawValue, "msg": message.description, "logger": label]
            for (key, value) in all { object[key] = "\(value)" }
            text = Output.jsonText(object)
        } else {
            // One line per event: messages and metadata carry job errors and other values from
            // the database, and libpq's errors span lines and indent with tabs.
            text = "\(time) \(level.rawValue.uppercased()) \(Output.escape(message.description))"
            for key in all.keys.sorted() { text += " \(Output.escape(key))=\(Output.escape("\(all[key]!)"))" }
        }
        text += "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// UTC, to the microsecond (benchmarks read when a handler started from the log).
    static func timestamp() -> String {
        var now = timeval()
        gettimeofday(&now, nil)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(now.tv_usec))
    }
}
