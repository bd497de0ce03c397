/// A named SQL statement. Every statement Berth runs is one of these constants, so errors and
/// logs can name the operation, and the connection can prepare it once and reuse the plan.
/// Values are always bound as `$n` parameters, never interpolated into `text`.
public struct SQL: Sendable, Hashable {
    public let name: String
    public let text: String

    public init(_ name: String, _ text: String) {
        self.name = name
        self.text = text
    }
}
