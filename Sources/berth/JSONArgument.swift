import Foundation
import Postgres
import Provisioning

/// A JSON object given on the command line (`--spec`, `--args`). The text is what goes to the
/// database: Postgres parses it there, so any valid JSON reaches the checks that judge its
/// values (Foundation cannot hold a number such as 1e400 and would misreport it).
enum JSONArgument {
    /// Refuses text that is not a JSON object, quoting it. Text that only looks like one is
    /// left to Postgres, which says what is wrong (see `invalid`).
    static func checkObject(_ text: String, option: String, example: String) throws {
        guard text.drop(while: { $0.isWhitespace }).first == "{" else {
            throw UsageError("\(option) must be a JSON object such as \(example), got \(Quoting.quote(text))")
        }
    }

    /// Postgres's "invalid input syntax for type json" (22P02) as a message about the option.
    static func invalid(_ error: PostgresError, option: String, text: String) -> Error {
        guard error.sqlState == "22P02" else { return error }
        return UsageError("\(option) is not valid JSON (\(error.detail ?? error.message)): \(Quoting.quote(text))")
    }
}
