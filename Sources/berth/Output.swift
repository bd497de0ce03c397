import Foundation
import Glibc
import Postgres
import Provisioning
import Queue

/// Everything the CLI prints goes through here: text lines, tables and JSON on standard
/// output, messages on standard error. Values come from the database and from input (event
/// messages, errors, specs, job args), so `escape` neutralises terminal control characters
/// in all of it, and a closed standard output (`berth … | head -1`) ends the run quietly
/// with exit code 0.
enum Output {
    // MARK: escaping

    /// C0 controls (including ESC, CR, LF and TAB), DEL and the C1 controls, made visible: a
    /// value such as `\e]0;title\a` (which would retitle the terminal) prints as
    /// `\x1b]0;title\x07`. With `keepingNewlines`, LF and TAB stay as they are (multi-line
    /// messages); every other control character is still escaped.
    static func escape(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar), !(keepingNewlines && (scalar == "\n" || scalar == "\t")) else {
                out.append(scalar)
                continue
            }
            let visible: String
            switch scalar {
            case "\n": visible = "\\n"
            case "\r": visible = "\\r"
            case "\t": visible = "\\t"
            default:
                visible = scalar.value < 0x80 ? String(format: "\\x%02x", scalar.value) : String(format: "\\u%04x", scalar.value)
            }
            out.append(contentsOf: visible.unicodeScalars)
        }
        return String(out)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// JSON text with DEL and C1 controls as `\u` escapes (JSONSerialization escapes only
    /// C0); they can only occur inside strings, so the result is the same JSON.
    private static func escapeJSON(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: { (0x7F...0x9F).contains($0.value) }) else { return json }
        var out = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if (0x7F...0x9F).contains(scalar.value) {
                out.append(contentsOf: String(format: "\\u%04x", scalar.value).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    // MARK: writing

    /// One line on standard output, every control character escaped.
    static func line(_ text: String = "") {
        write(escape(text) + "\n")
    }

    /// Text of several lines (help, the policy document) on standard output.
    static func block(_ text: String) {
        write(escape(text, keepingNewlines: true))
    }

    /// A message on standard error (several lines allowed).
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((escape(text, keepingNewlines: true) + "\n").utf8))
    }

    /// Unbuffered, so followers show each event as it arrives and standard output and
    /// standard error keep their order.
    private static func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written >= 0 {
                bytes = bytes.dropFirst(written)
            } else if errno == EPIPE {
                // SIGPIPE is ignored (main.swift), so a reader that went away (`| head -1`)
                // shows up here: nobody is left to tell anything, which is a quiet success.
                exit(0)
            } else if errno != EINTR {
                return
            }
        }
    }

    // MARK: formats

    static func json(_ object: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .fragmentsAllowed])) ?? Data()
        write(escapeJSON(String(decoding: data, as: UTF8.self)) + "\n")
    }

    /// A value through its `Encodable` conformance, which fixes its keys (the columns' names).
    static func json<T: Encodable>(_ value: T) {
        write(escapeJSON(encoded(value, [.sortedKeys, .prettyPrinted])) + "\n")
    }

    static func jsonLine(_ object: Any) {
        write(jsonText(object) + "\n")
    }

    static func jsonLine<T: Encodable>(_ value: T) {
        write(escapeJSON(encoded(value, [.sortedKeys, .withoutEscapingSlashes])) + "\n")
    }

    /// A value's JSON as Foundation objects, for the text views that show some of its keys.
    static func object<T: Encodable>(_ value: T) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(encoded(value, []).utf8))) as? [String: Any] ?? [:]
    }

    /// Dates as `time` prints them (RFC 3339, UTC, milliseconds).
    private static func encoded<T: Encodable>(_ value: T, _ formatting: JSONEncoder.OutputFormatting) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(time(date))
        }
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    /// Compact JSON, escaped like all JSON output (also for log lines).
    static func jsonText(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return escapeJSON(String(decoding: data, as: UTF8.self))
    }

    /// Columns aligned on the escaped cells, so a value with control characters can neither
    /// change the terminal nor break the table's lines.
    static func table(_ header: [String], _ rows: [[String]]) {
        let rows = rows.map { $0.map { escape($0) } }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        write(line(header) + "\n")
        for row in rows { write(line(row) + "\n") }
    }

    /// `key   value` lines, in the order of `keys`; absent and null values are left out.
    static func fields(_ object: [String: Any], _ keys: [String], width: Int) {
        for key in keys {
            guard let value = object[key], !(value is NSNull) else { continue }
            line("\(key.padding(toLength: width, withPad: " ", startingAt: 0)) \(plain(value))")
        }
    }

    static func event(_ event: Event, json: Bool) {
        if json { jsonLine(event) } else { line(eventLine(event)) }
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
    }

    static func plain(_ value: Any) -> String {
        if let string = value as? String { return string }
        if value is [Any] || value is [String: Any] {
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }

    static func jobObject(_ job: Job) -> [String: Any] {
        func json(_ text: JSONText?) -> Any { (try? text?.object()) ?? NSNull() }
        func opt(_ value: Any?) -> Any { value ?? NSNull() }
        return [
            "id": job.id, "kind": job.kind, "tenant": job.tenant, "args": json(job.args), "state": job.state.rawValue,
            "priority": job.priority, "run_at": time(job.runAt), "attempt": job.attempt, "max_attempts": job.maxAttempts,
            "snoozes": job.snoozes, "locked_by": opt(job.lockedBy), "locked_until": opt(job.lockedUntil.map(time)),
            "cancel_requested": job.cancelRequested, "errors": json(job.errors), "last_error": opt(job.lastError),
            "output": json(job.output), "unique_key": opt(job.uniqueKey), "created_at": opt(job.createdAt.map(time)),
            "updated_at": opt(job.updatedAt.map(time)), "attempted_at": opt(job.attemptedAt.map(time)),
            "finished_at": opt(job.finishedAt.map(time)),
        ]
    }

    static func eventLine(_ e: Event) -> String {
        let who = e.clusterName.map { "\(e.tenant)/\($0)" } ?? e.tenant
        let state = e.type == "state" ? " -> \(e.state ?? "?")" : ""
        return "\(time(e.at)) \(who) [\(e.type)\(state)] \(e.message)"
    }
}
