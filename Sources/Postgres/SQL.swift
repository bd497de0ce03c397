/// A named SQL statement. Every statement Berth runs is one of these constants, so errors and
/// logs can name the operation, and the connection can prepare it once and reuse the plan.
/// Values are always bound as `$n` parameters, never interpolated into `text`.
public struct SQL: Sendable, Hashable {
    public let name: String
    public let text: String
    /// Whether bound values are cut out of this statement's error messages (the default: a
    /// value may be a secret). Statements whose values are known to be harmless and whose
    /// errors are written for users (the SQL API's 22023 messages name the tenant and the
    /// cluster) turn it off, or "unknown tenant 'acme'" reads "unknown tenant '[redacted]'".
    public let redactsParameters: Bool

    public init(_ name: String, _ text: String, redactsParameters: Bool = true) {
        self.name = name
        self.text = text
        self.redactsParameters = redactsParameters
    }
}
