import Postgres

/// A closed set of values kept as text in the database and in requests: states, backends, AWS
/// modes. An unknown value fails closed with an error that names it. Read from a row, it means
/// something this code does not know wrote the row (a newer migration, a hand edit), and a
/// guess could act wrongly: an unknown AWS mode taken as `managed` would spend the service's
/// account on the tenant's behalf.
public protocol TextEnum: RawRepresentable<String>, CaseIterable, Codable, PostgresEncodable {
    /// What a value is, in messages: "cluster state", "backend".
    static var noun: String { get }
}

extension TextEnum {
    public var postgresText: String? { rawValue }

    /// The values, for messages: "ecs or vm", "pending, starting, … or error".
    static var allowed: String {
        let names = allCases.map(\.rawValue)
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// A value from a request: anything else is bad input that quotes it and says what is allowed.
    public init(parsing text: String) throws(ProvisioningError) {
        guard let value = Self(rawValue: text) else {
            throw .invalid("\(Self.noun) must be \(Self.allowed), got \(Quoting.quote(text))")
        }
        self = value
    }

    /// A value read from a stored row or document: anything else is a decoding error naming it.
    init(stored text: String, column: String) throws {
        guard let value = Self(rawValue: text) else {
            throw PostgresError(.decoding, operation: "decode_\(column)",
                                message: "unknown \(Self.noun) \(Quoting.quote(text)) in \(column) (this version knows \(Self.allowed))")
        }
        self = value
    }

    /// Decodes from JSON (a stored spec) through the same check, so the error names the value.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown \(Self.noun) \(Quoting.quote(text)) (this version knows \(Self.allowed))"))
        }
        self = value
    }
}

extension Row {
    /// A `TextEnum` column; an unknown value fails closed (see `TextEnum`).
    func decode<T: TextEnum>(_ column: String, as type: T.Type = T.self) throws -> T {
        try T(stored: try decode(column, as: String.self), column: column)
    }

    func decodeIfPresent<T: TextEnum>(_ column: String, as type: T.Type = T.self) throws -> T? {
        try decodeIfPresent(column, as: String.self).map { try T(stored: $0, column: column) }
    }
}
