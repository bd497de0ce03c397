import ArgumentParser
import Foundation

/// A duration on the command line: `250ms`, `1.5s`, `2m`, `1h`, `7d`, or a bare number of seconds.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            seconds = value * scale
            return
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        seconds = value
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

