import AWS
import Foundation
import Postgres
import Provisioning
import Testing
import TestSupport

/// Pure logic of the provisioning inputs, without I/O: sealing secrets, master keys,
/// idempotency tokens. (The CLI's config file is tested through `berth` runs in CLITests.)
@Suite struct UnitTests {
    static func randomKeyText() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    let key = try! MasterKey(base64: randomKeyText())
    let otherKey = try! MasterKey(base64: randomKeyText())
    let aad = Array("berth-tenant-secret:tenant-1:AKIAEXAMPLE".utf8)
    let secret = Array("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8)

    // MARK: SecretBox

    @Test func sealThenOpenRoundTrips() throws {
        let sealed = try SecretBox.seal(secret, key: key, associatedData: aad)
        #expect(sealed.count == 12 + secret.count + 16)
        #expect(try SecretBox.open(sealed, key: key, associatedData: aad) == secret)
        // A fresh nonce each time: the same secret never seals to the same bytes.
        #expect(try SecretBox.seal(secret, key: key, associatedData: aad) != sealed)
        // Empty plaintext and empty associated data work too.
        let empty = try SecretBox.seal([], key: key, associatedData: [])
        #expect(try SecretBox.open(empty, key: key, associatedData: []) == [])
        // The ciphertext does not contain the plaintext.
        #expect(Data(sealed).range(of: Data(secret)) == nil)
    }

    @Test(arguments: [0, 5, 11, 12, 30, 12 + 39, 12 + 40 + 15])
    func flippingAnyByteIsDetected(at index: Int) throws {
        var sealed = try SecretBox.seal(secret, key: key, associatedData: aad)
        sealed[index] ^= 0x01
        #expect(throws: SecretError.cannotOpen) { try SecretBox.open(sealed, key: key, associatedData: aad) }
    }

    @Test func wrongKeyWrongDataOrShortInputDoNotOpen() throws {
        let sealed = try SecretBox.seal(secret, key: key, associatedData: aad)
        #expect(throws: SecretError.cannotOpen) { try SecretBox.open(sealed, key: otherKey, associatedData: aad) }
        #expect(throws: SecretError.cannotOpen) {
            try SecretBox.open(sealed, key: key, associatedData: Array("berth-tenant-secret:tenant-2:AKIAEXAMPLE".utf8))
        }
        #expect(throws: SecretError.cannotOpen) { try SecretBox.open(sealed, key: key, associatedData: []) }
        #expect(throws: SecretError.cannotOpen) { try SecretBox.open(Array(sealed.dropLast()), key: key, associatedData: aad) }
        #expect(throws: SecretError.cannotOpen) { try SecretBox.open(Array(sealed.prefix(27)), key: key, associatedData: aad) }
        #expect(throws: SecretError.cannotOpen) { try SecretBox.open([], key: key, associatedData: aad) }
        // Errors never carry key material or plaintext.
        #expect(!SecretError.cannotOpen.description.contains("wJalr"))
    }

    // MARK: MasterKeys

    @Test func masterKeysFromTheEnvironment() throws {
        let current = Self.randomKeyText()
        let old1 = Self.randomKeyText()
        let old2 = Self.randomKeyText()
        let keys = try MasterKeys.fromEnvironment(["BERTH_MASTER_KEY": " \(current)\n", "BERTH_OLD_MASTER_KEYS": "\(old1), \(old2),"])
        #expect(keys.current.id == (try MasterKey(base64: current)).id)
        #expect(keys.current.id.count == 16 && keys.current.id.allSatisfy(\.isHexDigit))
        #expect(keys.old.map(\.id) == [try MasterKey(base64: old1).id, try MasterKey(base64: old2).id])
        #expect(keys.key(id: keys.old[1].id)?.id == keys.old[1].id)
        #expect(keys.key(id: "0000000000000000") == nil)
        #expect(try MasterKeys.fromEnvironment(["BERTH_MASTER_KEY": current]).old.isEmpty)
        // The id says which key sealed a row, not what the key is.
        #expect(!current.contains(keys.current.id))
    }

    static let badEnvironments: [(label: String, environment: [String: String], phrase: String)] = [
        ("missing", [:], "BERTH_MASTER_KEY is not set"),
        ("empty", ["BERTH_MASTER_KEY": ""], "BERTH_MASTER_KEY is not set"),
        ("not base64", ["BERTH_MASTER_KEY": "not base64 at all!!"], "32 random bytes, base64-encoded"),
        ("16 bytes", ["BERTH_MASTER_KEY": Data(repeating: 7, count: 16).base64EncodedString()], "32 random bytes"),
        ("33 bytes", ["BERTH_MASTER_KEY": Data(repeating: 7, count: 33).base64EncodedString()], "32 random bytes"),
        ("a passphrase", ["BERTH_MASTER_KEY": "correct horse battery staple, thirty-two"], "32 random bytes"),
        ("bad old key", ["BERTH_MASTER_KEY": randomKeyText(), "BERTH_OLD_MASTER_KEYS": "\(randomKeyText()),c2hvcnQ="],
         "BERTH_OLD_MASTER_KEYS: every entry must be 32 bytes"),
    ]

    @Test(arguments: 0..<badEnvironments.count)
    func badMasterKeysAreRefused(_ index: Int) throws {
        let bad = Self.badEnvironments[index]
        let error = try #require(throws: SecretError.self, "\(bad.label)") { try MasterKeys.fromEnvironment(bad.environment) }
        guard case .badMasterKey(let message) = error else { Issue.record("\(bad.label): \(error)"); return }
        #expect(message.contains(bad.phrase), "\(bad.label): \(message)")
        // The message never echoes the value.
        for value in bad.environment.values where !value.isEmpty { #expect(!message.contains(value), "\(bad.label)") }
    }

    // MARK: ClientToken

    @Test func clientTokensAreDeterministicAndShort() {
        let scope = "cluster:" + UUID().uuidString.lowercased()
        let token = ClientToken.make(scope: scope, step: "scheduler_task", generation: 1)
        #expect(token == ClientToken.make(scope: scope, step: "scheduler_task", generation: 1))
        #expect(token.count <= 64 && !token.isEmpty)
        #expect(token.allSatisfy { $0.isHexDigit })
        let variants = [
            ClientToken.make(scope: scope, step: "scheduler_task", generation: 2),
            ClientToken.make(scope: scope, step: "scheduler_task", generation: 1, part: "batch-0"),
            ClientToken.make(scope: scope, step: "scheduler_task", generation: 1, part: "batch-1"),
            ClientToken.make(scope: scope, step: "worker_tasks", generation: 1),
            ClientToken.make(scope: "cluster:" + UUID().uuidString.lowercased(), step: "scheduler_task", generation: 1),
        ]
        #expect(Set(variants + [token]).count == variants.count + 1)
        #expect(variants[1] == ClientToken.make(scope: scope, step: "scheduler_task", generation: 1, part: "batch-0"))
        // Long scopes and parts still give a token AWS accepts (≤ 64 characters).
        #expect(ClientToken.make(scope: String(repeating: "s", count: 500), step: "x", generation: 99, part: String(repeating: "p", count: 500))
            .count <= 64)
    }
}
