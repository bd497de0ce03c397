import Foundation
import Testing

/// Where tests find things outside the package, and how they react when absent.
enum TestEnvironment {
    static let environment = ProcessInfo.processInfo.environment

    /// CI=true turns "skip because X is missing" into a failure.
    static var isCI: Bool { ["true", "1", "yes"].contains(environment["CI"]?.lowercased() ?? "") }

    /// The package root, found from this file's path (Tests/AWSTests/Support/…).
    static let projectRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// AWS's SigV4 suite: `$BERTH_SIGV4_SUITE` or `<project root>/../shared/aws-signing-test-suite`.
    /// Either may point at the suite folder or at its `v4` child.
    static var sigV4SuiteDirectory: URL? {
        var candidates: [URL] = []
        if let path = environment["BERTH_SIGV4_SUITE"], !path.isEmpty { candidates.append(URL(fileURLWithPath: path)) }
        candidates.append(projectRoot.deletingLastPathComponent().appendingPathComponent("shared/aws-signing-test-suite"))
        for candidate in candidates {
            for dir in [candidate.appendingPathComponent("v4"), candidate] {
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent("get-vanilla/context.json").path) {
                    return dir
                }
            }
        }
        return nil
    }

    /// Records a failure in CI; locally only says why the test did nothing.
    static func missing(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if isCI {
            Issue.record("\(what) (CI=true, so this fails instead of skipping)", sourceLocation: sourceLocation)
        } else {
            print("SKIPPED: \(what)")
        }
    }
}
