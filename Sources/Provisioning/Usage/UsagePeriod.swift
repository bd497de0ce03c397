import Foundation

/// The days a usage report covers: UTC calendar days, both ends included, either end open.
public struct UsagePeriod: Sendable, Equatable {
    /// `YYYY-MM-DD`.
    public var since: String?
    public var until: String?

    public init(since: String?, until: String?) throws(ProvisioningError) {
        if let since { self.since = try Self.day(since, option: "--since") }
        if let until { self.until = try Self.day(until, option: "--until") }
        if let from = self.since, let to = self.until, from > to {
            throw .invalid("--since \(from) is after --until \(to): the period would be empty")
        }
    }

    /// A real calendar day written `YYYY-MM-DD` (UTC), returned as written.
    static func day(_ text: String, option: String) throws(ProvisioningError) -> String {
        let problem = "\(option) must be a date YYYY-MM-DD (a UTC day, such as 2026-11-30), got \(Quoting.quote(text, limit: 40))"
        guard text.utf8.count == 10, text.range(of: #"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"#, options: .regularExpression) != nil else {
            throw .invalid(problem)
        }
        let parts = text.split(separator: "-").map { Int($0)! }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
        // 2026-02-30 is no day: the calendar would roll it over to March.
        guard parts[0] >= 1, (1...12).contains(parts[1]), let date = calendar.date(from: components),
              calendar.dateComponents([.year, .month, .day], from: date) == components else {
            throw .invalid("\(option): \(Quoting.quote(text)) is not a calendar day (YYYY-MM-DD, UTC)")
        }
        return text
    }
}
