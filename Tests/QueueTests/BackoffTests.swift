import Queue
import Testing

@Suite struct BackoffTests {
    @Test func windowDoublesUpToTheCap() {
        let backoff = Backoff(base: 1, cap: 600)
        #expect(backoff.window(attempt: 1) == 1)
        #expect(backoff.window(attempt: 2) == 2)
        #expect(backoff.window(attempt: 5) == 16)
        #expect(backoff.window(attempt: 10) == 512)
        #expect(backoff.window(attempt: 11) == 600)
        #expect(backoff.window(attempt: 1000) == 600)
        #expect(backoff.window(attempt: 0) == 1)
    }

    @Test func fullJitterSpansTheWholeWindow() {
        let backoff = Backoff(base: 2, cap: 60)
        #expect(backoff.delay(attempt: 3, random: 0) == backoff.floor)
        #expect(backoff.delay(attempt: 3, random: 0.5) == 4)
        #expect(abs(backoff.delay(attempt: 3, random: 0.999_999) - 8) < 0.001)
        let samples = (0..<2000).map { _ in backoff.delay(attempt: 4) }
        #expect(samples.allSatisfy { $0 >= backoff.floor && $0 < 16 })
        // Spread over the window, not bunched: both halves are well used.
        #expect(samples.filter { $0 < 8 }.count > 800)
        #expect(samples.filter { $0 >= 8 }.count > 800)
    }
}
