import Foundation
import Postgres

/// A JSON object given on the command line (`--spec`, `--args`). The text is what goes to the
/// database: Postgres parses it there, so any valid JSON reaches the checks that judge its
/// values (Foundation cannot hold a number such as 1e400 and would misreport it).
enum JSONArgument {
    /// Refuses text that is not a JSON object, quoting it. Returns the object when Foundation
    /// can read it, and nil when only Postgres can (the database then says what is wrong).
    static func object(_ text: String, option: String, example: String) throws -> [String: Any]? {
        guard text.drop(while: { $0.isWhitespace }).first == "{" else {
            throw UsageError("\(option) must be a JSON object such as \(example), got \(Output.quote(text))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// Postgres's "invalid input syntax for type json" (22P02) as a message about the option.
    static func invalid(_ error: PostgresError, option: String, text: String) -> Error {
        guard error.sqlState == "22P02" else { return error }
        return UsageError("\(option) is not valid JSON (\(error.detail ?? error.message)): \(Output.quote(text))")
    }

    static func text(_ object: [String: Any]) -> JSONText {
        JSONText(String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8),
                        as: UTF8.self))
    }
}
