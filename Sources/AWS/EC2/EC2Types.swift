/// A tag as EC2, IAM, ECR and ECS use it (each spells the keys its own way on the wire).
public struct Tag: Sendable, Hashable, Codable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

extension Array where Element == Tag {
    /// The value of a tag by key.
    public subscript(tag key: String) -> String? { first { $0.key == key }?.value }
}

/// An EC2 `Filter`: a name and accepted values.
public struct EC2Filter: Sendable, Hashable {
    public var name: String
    public var values: [String]
    public init(_ name: String, _ values: [String]) {
        self.name = name
        self.values = values
    }
    public init(_ name: String, _ value: String) { self.init(name, [value]) }

    /// `tag:<key>` = value.
    public static func tag(_ key: String, _ value: String) -> EC2Filter { EC2Filter("tag:\(key)", value) }
}

extension QueryParameters {
    mutating func filters(_ filters: [EC2Filter]) {
        for (i, filter) in filters.enumerated() {
            set("Filter.\(i + 1).Name", filter.name)
            list("Filter.\(i + 1).Value", filter.values)
        }
    }

    /// Tags applied at creation (`TagSpecification.N`), one spec per resource type.
    mutating func tagSpecifications(_ resourceTypes: [String], _ tags: [Tag]) {
        guard !tags.isEmpty else { return }
        for (i, type) in resourceTypes.enumerated() {
            set("TagSpecification.\(i + 1).ResourceType", type)
            for (j, tag) in tags.enumerated() {
                set("TagSpecification.\(i + 1).Tag.\(j + 1).Key", tag.key)
                set("TagSpecification.\(i + 1).Tag.\(j + 1).Value", tag.value)
            }
        }
    }
}

extension XMLElement {
    /// EC2's `<tagSet><item><key/><value/></item></tagSet>`.
    var ec2Tags: [Tag] {
        items("tagSet").map { Tag($0.string("key") ?? "", $0.string("value") ?? "") }
    }

    func int(_ name: String) -> Int? { string(name).flatMap { Int($0) } }
    func bool(_ name: String) -> Bool? { string(name).map { $0 == "true" } }
}
