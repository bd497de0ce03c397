import Foundation

extension KeyedEncodingContainer {
    /// Ids print as Postgres prints them (lowercase), and a missing one as `null`.
    mutating func encode(uuid: UUID?, forKey key: Key) throws {
        try encode(uuid?.uuidString.lowercased(), forKey: key)
    }
}
