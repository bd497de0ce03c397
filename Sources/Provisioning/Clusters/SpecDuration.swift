/// A duration in a spec (`idle_timeout`, `max_lifetime`): `0`, or a whole number followed by
/// `s`, `m`, `h` or `d`, as `berth.spec_duration` checks it.
public enum SpecDuration {
    /// The seconds `text` says, nil when it is not a duration.
    public static func seconds(_ text: String) -> Int? {
        if text == "0" { return 0 }
        guard let unit = text.last, let number = Int(text.dropLast()), number > 0 else { return nil }
        switch unit {
        case "s": return number
        case "m": return number * 60
        case "h": return number * 3600
        case "d": return number * 86_400
        default: return nil
        }
    }
}
