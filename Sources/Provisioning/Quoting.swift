/// How a value from input or the database appears in a message: in single quotes, cut to
/// `limit` characters with its length, so a huge input gives a short message.
public enum Quoting {
    public static func quote(_ value: String, limit: Int = 100) -> String {
        value.count <= limit ? "'\(value)'" : "'\(value.prefix(limit))…' (\(value.count) characters)"
    }
}
