import Foundation

/// An AWS access key: the key id, its secret and an optional session token.
///
/// The secret and the token are kept in a ``Redacted`` wrapper so that neither
/// string interpolation, `print`, `dump` nor an error's description can leak them;
/// only the signer reads them, through `reveal`.
public struct AWSCredentials: Sendable, Hashable {
    public let accessKeyId: String
    let secretAccessKey: Redacted
    let sessionTokenValue: Redacted?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = Redacted(secretAccessKey)
        self.sessionTokenValue = sessionToken.flatMap { $0.isEmpty ? nil : Redacted($0) }
    }

    /// The secret itself, for sealing it at rest (Berth's tenant store) and nothing else.
    public func revealSecretForSealing() -> String { secretAccessKey.reveal }

    /// Whether a session token is present (temporary credentials).
    public var hasSessionToken: Bool { sessionTokenValue != nil }

    /// Temporary credentials: an `ASIA…` key id or any session token.
    /// Berth refuses these for tenants (they expire under a running cluster).
    public var isTemporary: Bool { hasSessionToken || accessKeyId.hasPrefix("ASIA") }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
    /// Returns nil when either of the first two is missing or empty.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AWSCredentials? {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else { return nil }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
    }
}

extension AWSCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "AWSCredentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>\(hasSessionToken ? ", sessionToken: <redacted>" : ""))"
    }
    public var debugDescription: String { description }
    // `dump()` and debuggers walk the mirror: show only what is safe.
    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyId": accessKeyId, "hasSessionToken": hasSessionToken], displayStyle: .struct)
    }
}

/// A string that never prints itself.
struct Redacted: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let reveal: String
    init(_ value: String) { reveal = value }
    var description: String { "<redacted>" }
    var debugDescription: String { "<redacted>" }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
