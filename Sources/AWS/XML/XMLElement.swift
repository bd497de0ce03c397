/// A parsed XML element: name (namespace prefix dropped), attributes, children and
/// the concatenated text directly inside it. AWS's Query responses need no more.
public struct XMLElement: Sendable, Hashable {
    public var name: String
    public var attributes: [String: String]
    public var children: [XMLElement]
    public var text: String

    public init(name: String, attributes: [String: String] = [:], children: [XMLElement] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The first direct child with that name.
    public subscript(_ name: String) -> XMLElement? {
        children.first { $0.name == name }
    }

    /// Follows a path of child names: `element.at("Errors", "Error", "Code")`.
    public func at(_ path: String...) -> XMLElement? {
        var current: XMLElement? = self
        for name in path { current = current?[name] }
        return current
    }

    /// The trimmed text at a path of child names, nil if absent.
    public func string(_ path: String...) -> String? {
        var current: XMLElement? = self
        for name in path { current = current?[name] }
        return current.map { $0.text.trimmingWhitespace() }
    }

    /// The `item` (EC2) or `member` (IAM/STS) children of a list element.
    public func items(_ listName: String) -> [XMLElement] {
        self[listName]?.children.filter { $0.name == "item" || $0.name == "member" } ?? []
    }

    /// Depth-first search for the first element with that name, self included.
    public func first(named name: String) -> XMLElement? {
        if self.name == name { return self }
        for child in children {
            if let found = child.first(named: name) { return found }
        }
        return nil
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}
