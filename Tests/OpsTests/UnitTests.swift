import Console
import Foundation
import HTTPServer
import Provisioning
import Testing

@Suite struct OpsUnitTests {
    @Test func listenAddresses() throws {
        #expect(try ListenAddress.parse("127.0.0.1:9464").get() == ListenAddress(host: "127.0.0.1", port: 9464))
        #expect(try ListenAddress.parse("[::1]:0").get() == ListenAddress(host: "::1", port: 0))
        #expect(try ListenAddress.parse("metrics.internal:80").get().host == "metrics.internal")
        for bad in ["localhost", ":80", "1.2.3.4:65536", "1.2.3.4:-1", "::1:80", "host:+80", "a b:80", "[::1]80", ""] {
            guard case .failure(let error) = ListenAddress.parse(bad) else { Issue.record("accepted \(bad)"); continue }
            #expect(error.message.contains("'\(bad)'") && error.message.contains("HOST:PORT"))
        }
    }

    @Test func passwordHashesVerifyAndRefuse() throws {
        let hash = try PasswordHash.make("correct horse battery", iterations: 1000)
        #expect(hash.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(PasswordHash.verify("correct horse battery", against: hash))
        #expect(!PasswordHash.verify("correct horse batterx", against: hash))
        #expect(try PasswordHash.make("correct horse battery", iterations: 1000) != hash)  // a fresh salt each time
        for malformed in ["", "pbkdf2-sha256$0$AA==$AA==", "md5$1$a$b", "pbkdf2-sha256$1000$!!$!!", hash + "$x"] {
            #expect(!PasswordHash.verify("correct horse battery", against: malformed))
        }
        #expect(throws: ConsoleError.self) { try PasswordHash.make("short") }
        #expect(PasswordHash.iterations >= 600_000)
    }

    @Test func anEventCursorSkipsHandledIdsAndGivesUpOnGapsTogether() {
        var cursor = EventCursor(after: 10)
        let start = Date(timeIntervalSince1970: 1000)
        // 11 and 12 arrive, 13-15 are missing (other clusters', or in flight), 16 arrives.
        #expect(cursor.accept(ids: [11, 12, 16]) == [11, 12, 16])
        cursor.advance(now: start, gapGrace: 5)
        #expect(cursor.watermark == 12)
        // Read again from 12: 16 is not handed out twice; 14 committed late is.
        #expect(cursor.accept(ids: [14, 16]) == [14])
        cursor.advance(now: start.addingTimeInterval(1), gapGrace: 5)
        #expect(cursor.watermark == 12)
        // Past the grace, 13 and 15 are given up on at once: the watermark jumps to 16.
        cursor.advance(now: start.addingTimeInterval(6), gapGrace: 5)
        #expect(cursor.watermark == 16)
        // A gap noticed later gets its own grace.
        #expect(cursor.accept(ids: [18]) == [18])
        cursor.advance(now: start.addingTimeInterval(7), gapGrace: 5)
        #expect(cursor.watermark == 16)
        cursor.advance(now: start.addingTimeInterval(12.5), gapGrace: 5)
        #expect(cursor.watermark == 18)
    }
}
