/// One row of a result, materialised as text values so the libpq result can be freed at once.
public struct Row: Sendable {
    @usableFromInline let columns: ColumnIndex
    @usableFromInline let values: [String?]
    @usableFromInline let operation: String

    /// The value of `column` decoded as `T`; throws when it is NULL or malformed.
    /// Inlinable so callers in other modules get it specialized for `T`: the generic version
    /// looked up type metadata at run time for every column of every row.
    @inlinable
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let value = try decodeIfPresent(column, as: type) else {
            throw decodingError("column \(column) is NULL, expected \(T.self)")
        }
        return value
    }

    /// The value of `column` decoded as `T`, or nil when it is NULL.
    @inlinable
    public func decodeIfPresent<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        guard let index = columns.index(of: column) else {
            throw usageError("no column named \(column) in the result")
        }
        guard let text = values[index] else { return nil }
        guard let value = T(postgresText: text) else {
            throw decodingError("column \(column) holds a value that is not a valid \(T.self)")
        }
        return value
    }

    /// The value at `position` decoded as `T`, or nil when it is NULL: for results of a fixed
    /// shape read many times a second, where looking each column up by name costs more than
    /// decoding it.
    @inlinable
    public func decodeIfPresent<T: PostgresDecodable>(at position: Int, as type: T.Type = T.self) throws -> T? {
        guard position < values.count else { throw usageError("no column at position \(position) in the result") }
        guard let text = values[position] else { return nil }
        guard let value = T(postgresText: text) else {
            throw decodingError("column \(columns.names[position]) holds a value that is not a valid \(T.self)")
        }
        return value
    }

    /// The value at `position` decoded as `T`; throws when it is NULL or malformed.
    @inlinable
    public func decode<T: PostgresDecodable>(at position: Int, as type: T.Type = T.self) throws -> T {
        guard let value = try decodeIfPresent(at: position, as: type) else {
            throw decodingError("column \(columns.names[position]) is NULL, expected \(T.self)")
        }
        return value
    }

    /// Like `decodeIfPresent`, but a column the result does not have gives `fallback`
    /// (for types decoded from results of different shapes).
    @inlinable
    public func decodeIfPresent<T: PostgresDecodable>(_ column: String, ifMissing fallback: T?) throws -> T? {
        guard columns.index(of: column) != nil else { return fallback }
        return try decodeIfPresent(column, as: T.self)
    }

    @usableFromInline func decodingError(_ message: String) -> PostgresError {
        PostgresError(.decoding, operation: operation, message: message)
    }

    @usableFromInline func usageError(_ message: String) -> PostgresError {
        PostgresError(.usage, operation: operation, message: message)
    }

    /// The raw text of a column by position (nil for NULL).
    public subscript(position: Int) -> String? { values[position] }

    public var columnNames: [String] { columns.names }
}

/// Column name → position, shared by all rows of one result.
@usableFromInline final class ColumnIndex: Sendable {
    @usableFromInline let names: [String]
    private let positions: [String: Int]

    init(names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (i, name) in names.enumerated() where positions[name] == nil { positions[name] = i }
        self.positions = positions
    }

    @usableFromInline func index(of name: String) -> Int? { positions[name] }
}
