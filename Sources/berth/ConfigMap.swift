import Provisioning

/// A key of the config file as written.
struct ConfigKey: CodingKey, Hashable {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A mistake in the config file: where (its keys from the top) and what.
struct ConfigFileError: Error {
    let path: [String]
    let message: String
}

/// One map of the config file, read strictly, so that a typo is never silently ignored: every
/// key must be one the map allows (under one of its spellings, once), and a value of the wrong
/// type is refused naming the key, what it takes and what was there. Sections added later
/// (quota defaults, retention, console settings) read their maps the same way.
struct ConfigMap {
    /// A key the map allows: its name as documented first, then other accepted spellings.
    struct Field {
        let spellings: [String]
        var name: String { spellings[0] }
        init(_ spellings: String...) { self.spellings = spellings }
    }

    private let container: KeyedDecodingContainer<ConfigKey>
    private let path: [String]
    /// The key as written, by field name.
    private let present: [String: ConfigKey]

    /// `noun` names the map's keys in errors ("key", "backend option").
    init(_ decoder: any Decoder, noun: String, fields: [Field]) throws {
        path = decoder.codingPath.map(\.stringValue)
        container = try decoder.container(keyedBy: ConfigKey.self) // not a map: the caller's ``map(_:as:requirement:)`` says so
        var present: [String: ConfigKey] = [:]
        for key in container.allKeys {
            guard let field = fields.first(where: { $0.spellings.contains(key.stringValue) }) else {
                throw ConfigFileError(path: path + [key.stringValue],
                                      message: "unknown \(noun) '\(Self.cut(key.stringValue))'; allowed: \(fields.map(\.name).joined(separator: ", "))")
            }
            if let earlier = present[field.name] {
                throw ConfigFileError(path: path + [key.stringValue],
                                      message: "\(field.name) is given twice (as \(earlier.stringValue) and \(key.stringValue))")
            }
            present[field.name] = key
        }
        self.present = present
    }

    /// Text (any scalar); nil when absent or null.
    func string(_ field: Field) throws -> String? {
        guard let key = try presentKey(field) else { return nil }
        do { return try container.decode(String.self, forKey: key) } catch {
            throw mismatch(key, requirement: "must be text")
        }
    }

    /// true/false (also yes/no, on/off, 1/0, as the environment takes them); nil when absent or null.
    func bool(_ field: Field) throws -> Bool? {
        guard let key = try presentKey(field) else { return nil }
        guard let text = try? container.decode(String.self, forKey: key) else { throw mismatch(key, requirement: "must be true or false") }
        guard let value = CLIConfig.parseBool(text) else {
            throw ConfigFileError(path: path + [key.stringValue], message: "\(field.name) must be true or false, got '\(Self.cut(text))'")
        }
        return value
    }

    /// A quota limit: a whole number from 0, or `none` (unlimited, as when absent).
    func limit(_ field: Field) throws -> Int? {
        guard let key = try presentKey(field) else { return nil }
        guard let text = try? container.decode(String.self, forKey: key) else {
            throw mismatch(key, requirement: "must be a whole number or none")
        }
        do {
            return try TenantQuotas.Limit(parsing: text, option: field.name).value
        } catch {
            throw ConfigFileError(path: path + [key.stringValue], message: error.description)
        }
    }

    /// A count from 0.
    func count(_ field: Field) throws -> Int? {
        guard let key = try presentKey(field) else { return nil }
        guard let text = try? container.decode(String.self, forKey: key) else { throw mismatch(key, requirement: "must be a whole number") }
        guard let n = Int(text), n >= 0 else {
            throw ConfigFileError(path: path + [key.stringValue], message: "\(field.name) must be a whole number from 0, got '\(Self.cut(text))'")
        }
        return n
    }

    /// A duration as the command line takes it (`7d`, `12h`, `90s`, bare seconds), in seconds.
    func duration(_ field: Field) throws -> Double? {
        guard let key = try presentKey(field) else { return nil }
        guard let text = try? container.decode(String.self, forKey: key) else { throw mismatch(key, requirement: "must be a duration") }
        guard let duration = DurationArgument(argument: text) else {
            throw ConfigFileError(path: path + [key.stringValue],
                                  message: "\(field.name) must be a duration such as 7d, 12h or 90s (0: keep forever), got '\(Self.cut(text))'")
        }
        return duration.seconds
    }

    /// A nested map, read by its own type (a ``ConfigMap`` too); nil when absent or null.
    /// `requirement` finishes "<name> … , got …" when the value is not a map.
    func map<T: Decodable>(_ field: Field, as type: T.Type, requirement: String) throws -> T? {
        guard let key = try presentKey(field) else { return nil }
        do { return try container.decode(T.self, forKey: key) } catch let error as ConfigFileError {
            throw error
        } catch {
            throw mismatch(key, requirement: requirement)
        }
    }

    private func presentKey(_ field: Field) throws -> ConfigKey? {
        guard let key = present[field.name] else { return nil }
        return try container.decodeNil(forKey: key) ? nil : key
    }

    /// "region must be text, got a map" / "fargate_spot must be true or false, got a list".
    private func mismatch(_ key: ConfigKey, requirement: String) -> ConfigFileError {
        let found: String
        if let text = try? container.decode(String.self, forKey: key) {
            found = "'\(Self.cut(text))'"
        } else if (try? container.nestedUnkeyedContainer(forKey: key)) != nil {
            found = "a list"
        } else {
            found = "a map"
        }
        let name = fieldName(of: key)
        return ConfigFileError(path: path + [key.stringValue], message: "\(name) \(requirement), got \(found)")
    }

    private func fieldName(of key: ConfigKey) -> String {
        present.first { $0.value == key }?.key ?? key.stringValue
    }

    /// Values are quoted cut short: a config file may hold a secret by mistake.
    static func cut(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}
