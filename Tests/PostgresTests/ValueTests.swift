import Foundation
import Postgres
import Testing

@Suite struct ValueTests {
    @Test func uuidsRoundTripThroughTheirText() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.postgresText == id.uuidString.lowercased())
            #expect(UUID(postgresText: id.uuidString) == id)
            #expect(UUID(postgresText: id.uuidString.lowercased()) == id)
        }
        for bad in ["", "6f1c2a4e-1b7b-4d7e-9f3b-2a1c0e9d8b7", "6f1c2a4e1b7b-4d7e-9f3b-2a1c0e9d8b7a0", "6f1c2a4e-1b7b-4d7e-9f3b-2a1c0e9d8b7g",
                    "6f1c2a4e-1b7b-4d7e-9f3b+2a1c0e9d8b7a"] {
            #expect(UUID(postgresText: bad) == nil, "\(bad)")
        }
    }
}
