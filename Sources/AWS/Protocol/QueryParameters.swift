/// The parameters of a Query-protocol call (EC2, IAM, STS), in order, with the
/// flattening conventions of each: `InstanceId.1`, `Filter.1.Value.1`, `Tags.member.1.Key`.
public struct QueryParameters: Sendable {
    public private(set) var items: [QueryItem] = []

    public init() {}

    public mutating func set(_ name: String, _ value: String?) {
        guard let value else { return }
        items.append(QueryItem(name, value))
    }

    public mutating func set(_ name: String, _ value: Int?) {
        set(name, value.map { String($0) })
    }

    public mutating func set(_ name: String, _ value: Bool?) {
        set(name, value.map { $0 ? "true" : "false" })
    }

    /// Whether a parameter of that name is set.
    public func has(_ name: String) -> Bool { items.contains { $0.name == name } }

    /// EC2 lists: `Name.1`, `Name.2`, …
    public mutating func list(_ name: String, _ values: [String]) {
        for (index, value) in values.enumerated() { set("\(name).\(index + 1)", value) }
    }

    /// IAM/STS lists: `Name.member.1`, …
    public mutating func members(_ name: String, _ values: [String]) {
        for (index, value) in values.enumerated() { set("\(name).member.\(index + 1)", value) }
    }

    /// The form body, `application/x-www-form-urlencoded` with RFC 3986 escaping.
    func body(action: String, version: String) -> [UInt8] {
        let all = [QueryItem("Action", action), QueryItem("Version", version)] + items
        let text = all.map { "\(SigV4Canonical.encode($0.name))=\(SigV4Canonical.encode($0.value))" }.joined(separator: "&")
        return Array(text.utf8)
    }
}
