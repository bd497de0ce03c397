import Foundation

/// Where a follower of `berth.events` stands. Ids come from a sequence, so a transaction that
/// commits late can make an id smaller than one already seen appear: the cursor reads on from
/// its watermark (every id at or below it is handled or given up on), skips the ids above it
/// it has handled, and gives up on a gap older than the grace (a rolled-back insert, or a row
/// the reader's role or filter does not see). Gaps noticed together expire together: a reader
/// that sees one tenant's or one cluster's events skips the others' ids in one grace period.
public struct EventCursor: Sendable {
    /// Read on from here: `after(watermark)`.
    public private(set) var watermark: Int64
    private var seen: Set<Int64> = []
    /// Missing ids at or below `upTo` (and above the previous mark) were first noticed at `since`.
    private var gapMarks: [(upTo: Int64, since: Date)] = []

    public init(after: Int64) {
        watermark = after
    }

    /// The events of a read that were not handled before, in order; they count as handled.
    public mutating func accept(_ events: [Event]) -> [Event] {
        let fresh = Set(accept(ids: events.map(\.id)))
        return events.filter { fresh.contains($0.id) }
    }

    /// The ids of a read that were not handled before, in order; they count as handled.
    public mutating func accept(ids: [Int64]) -> [Int64] {
        var fresh: [Int64] = []
        for id in ids where id > watermark && !seen.contains(id) {
            seen.insert(id)
            fresh.append(id)
        }
        return fresh
    }

    /// Moves the watermark over ids that are handled, or missing for longer than `gapGrace`.
    public mutating func advance(now: Date = Date(), gapGrace: Double) {
        guard let highest = seen.max() else { return }
        if highest > (gapMarks.last?.upTo ?? watermark) { gapMarks.append((highest, now)) }
        while true {
            let next = watermark + 1
            if seen.remove(next) != nil { watermark = next; continue }
            guard let top = seen.max(), top > next,
                  let mark = gapMarks.first(where: { $0.upTo >= next }),
                  now.timeIntervalSince(mark.since) > gapGrace else { break }
            watermark = next
        }
        gapMarks.removeAll { $0.upTo <= watermark }
    }
}
