import Foundation

/// The two time formats SigV4 uses, in UTC: `20150830` and `20150830T123600Z`.
/// Built with `gmtime_r` rather than a DateFormatter: thread-safe and cheap.
struct SigV4Time: Sendable {
    let date: String
    let dateTime: String

    init(_ instant: Date) {
        var seconds = time_t(instant.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        date = pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2)
        dateTime = date + "T" + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + "Z"
    }
}
