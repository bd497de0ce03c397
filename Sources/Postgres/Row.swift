/// One row of a result, materialised as text values so the libpq result can be freed at once.
public struct Row: Sendable {
    let columns: ColumnIndex
    let values: [String?]
    let operation: String

    /// The value of `column` decoded as `T`; throws when it is NULL or malformed.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let value = try decodeIfPresent(column, as: type) else {
            throw PostgresError(.decoding, operation: operation, message: "column \(column) is NULL, expected \(T.self)")
        }
        return value
    }

    /// The value of `column` decoded as `T`, or nil when it is NULL.
    public func decodeIfPresent<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        guard let index = columns.index(of: column) else {
            throw PostgresError(.usage, operation: operation, message: "no column named \(column) in the result")
        }
        guard let text = values[index] else { return nil }
        guard let value = T(postgresText: text) else {
            throw PostgresError(.decoding, operation: operation, message: "column \(column) holds a value that is not a valid \(T.self)")
        }
        return value
    }

    /// The raw text of a column by position (nil for NULL).
    public subscript(position: Int) -> String? { values[position] }

    public var columnNames: [String] { columns.names }
}

/// Column name → position, shared by all rows of one result.
final class ColumnIndex: Sendable {
    let names: [String]
    private let positions: [String: Int]

    init(names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (i, name) in names.enumerated() where positions[name] == nil { positions[name] = i }
        self.positions = positions
    }

    func index(of name: String) -> Int? { positions[name] }
}
