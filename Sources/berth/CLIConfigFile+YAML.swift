import Foundation
import Yams

/// Reading the config file through Yams (libyaml), with bounds Yams does not set itself.
///
/// Yams composes YAML aliases by sharing the anchored node, so a "billion laughs" file composes
/// in linear time, but two things walk the expansion: decoding (a value read through nested
/// aliases) and, while composing, the hashing of mapping keys that Yams does to find
/// duplicates (a key that is an alias of nested aliases: measured 7 s for 10^7). The first is
/// bounded by counting the composed document's nodes, aliases expanded, before decoding; the
/// second by a deadline on composing. libyaml itself stops at 1,000 levels of nesting.
extension CLIConfigFile {
    /// A config file is a few lines.
    static let maximumBytes = 1 << 20
    /// Values after aliases are expanded: far more than any real file, far less than a bomb.
    static let maximumNodes = 10_000
    /// A file of up to `maximumBytes` composes in milliseconds.
    static let composeDeadlineSeconds = 5.0

    /// The file's settings; a mistake is a UsageError that starts with its line.
    static func read(_ text: String) throws -> CLIConfigFile {
        guard text.utf8.count <= maximumBytes else {
            throw UsageError("the file is \(text.utf8.count) bytes; a config file may have at most \(maximumBytes)")
        }
        let composed: Node??
        do {
            composed = try runWithDeadline(seconds: composeDeadlineSeconds) { try Yams.compose(yaml: text) }
        } catch let error as YamlError {
            throw UsageError(describe(error))
        }
        guard let composed else {
            throw UsageError("reading it took over \(Int(composeDeadlineSeconds)) s (YAML aliases used as keys?); refused")
        }
        guard let root = composed else { return CLIConfigFile() } // empty, or only comments
        guard root.mapping != nil else {
            throw UsageError("line \(root.mark?.line ?? 1): the file must be a map of keys (\(fieldNames)), got \(root.scalar != nil ? "'\(ConfigMap.cut(root.string ?? ""))'" : "a list")")
        }
        guard expandedSize(root, limit: maximumNodes) <= maximumNodes else {
            throw UsageError("its YAML aliases expand to more than \(maximumNodes) values; refused")
        }
        do {
            return try YAMLDecoder().decode(CLIConfigFile.self, from: root)
        } catch let error as ConfigFileError {
            throw UsageError("line \(line(of: error.path, in: root)): \(error.message)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context),
                let DecodingError.keyNotFound(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue)
            throw UsageError("line \(line(of: path, in: root)): \(path.joined(separator: ".")): \(context.debugDescription)")
        }
    }

    private static var fieldNames: String { [databaseURL, listenDatabaseURL, databasePoolMode, backendOptions].map(\.name).joined(separator: ", ") }

    /// Nodes in the document with every alias expanded, counted up to just past `limit`.
    static func expandedSize(_ root: Node, limit: Int) -> Int {
        var count = 0
        var pending = [root]
        while let node = pending.popLast(), count <= limit {
            count += 1
            if let mapping = node.mapping {
                for (key, value) in mapping { pending += [key, value] }
            } else if let sequence = node.sequence {
                pending += sequence
            }
        }
        return count
    }

    /// The line of the last key of `path` that the document has (1-based).
    static func line(of path: [String], in root: Node) -> Int {
        var node = root
        var line = root.mark?.line ?? 1
        for key in path {
            guard let pair = node.mapping?.first(where: { $0.key.string == key }) else { break }
            line = pair.key.mark?.line ?? line
            node = pair.value
        }
        return line
    }

    /// libyaml's problem, where it is and what it was reading (never the file's text: it may hold a password).
    static func describe(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            guard let context else { return "line \(mark.line), column \(mark.column): \(problem)" }
            // "line 3: while scanning a simple key, could not find expected ':' (line 4, column 1)"
            return "line \(context.mark.line): \(context.text), \(problem) (line \(mark.line), column \(mark.column))"
        case let .duplicatedKeysInMapping(duplicates, context):
            return "line \(context.mark.line): \(duplicates.map { "'\(ConfigMap.cut($0))'" }.joined(separator: ", ")) given twice"
        case let .reader(problem, offset, _, _):
            return "not readable as UTF-8 text: \(problem)\(offset.map { " at character \($0)" } ?? "")"
        default:
            return "not readable: \(error)"
        }
    }

    /// Runs `body` on a thread of its own and waits at most `seconds`: nil when it overran (the
    /// thread is left to finish, or to end with the process, which exits on this error).
    private static func runWithDeadline<T>(seconds: Double, _ body: @escaping @Sendable () throws -> T) throws -> T? {
        let outcome = DeadlineOutcome<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            outcome.result = Result { try body() }
            done.signal()
        }
        thread.start()
        guard done.wait(timeout: .now() + seconds) == .success, let result = outcome.result else { return nil }
        return try result.get()
    }
}

/// What a deadline thread produced: written before its semaphore is signalled, read after.
private final class DeadlineOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
