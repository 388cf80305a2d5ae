/// Durations as people write them in flags and configuration: `500ms`, `90s`, `15m`, `24h`, `7d`,
/// or a bare number of seconds, up to `maximum`.
public enum DurationText {
    /// The longest duration taken: 36,500 days (about a hundred years). Anything longer is a
    /// mistake, and beyond it the milliseconds would no longer fit an `Int64`.
    public static let maximum: Duration = .seconds(36_500 * 86_400)

    /// The duration, or nil when `text` is not one or is longer than `maximum`.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingASCIIWhitespace()
        let digits = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = trimmed.dropFirst(digits.count)
        guard !digits.isEmpty, let value = Double(digits), value >= 0, value.isFinite else { return nil }
        let seconds: Double
        switch unit {
        case "ms": seconds = value / 1000
        case "", "s": seconds = value
        case "m": seconds = value * 60
        case "h": seconds = value * 3600
        case "d": seconds = value * 86400
        default: return nil
        }
        return Self.duration(seconds: seconds)
    }

    /// `seconds` as a duration (to the millisecond), or nil when negative, not finite or longer
    /// than `maximum`: for values that come as numbers rather than text.
    public static func duration(seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds <= Double(Self.maximum.components.seconds) else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The shortest exact spelling of `duration`, for messages and documentation.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.wholeMilliseconds
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds >= size && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}

extension Duration {
    /// The duration in whole seconds, rounded up, for Redis TTLs and `Retry-After`.
    public var wholeSecondsRoundedUp: Int64 {
        let (seconds, attoseconds) = self.components
        return attoseconds > 0 ? seconds + 1 : seconds
    }

    /// The duration in whole milliseconds, truncated, for Redis `WAIT` and messages.
    public var wholeMilliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }
}

extension String {
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = self.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = self.lastIndex(where: { !isSpace($0) })!
        return self[first...last]
    }
}
