import JobStatusCore
public import Foundation

/// When a job is expected to finish: relative to now, or an absolute RFC 3339 time.
public enum JobETA: Sendable, Equatable {
    case after(Duration)
    case at(Date)

    /// Parses `90s`-style durations or RFC 3339 timestamps (`2026-11-28T10:00:00Z`,
    /// `2026-11-28T12:00:00.250+02:00`), by the record contract's rules: what this takes, the
    /// write script takes.
    public init?(parsing text: String) {
        if let duration = DurationText.parse(text) {
            self = .after(duration)
            return
        }
        var text = text
        let milliseconds = text.withUTF8 { RFC3339.millisecondsSinceEpoch(UnsafeRawBufferPointer($0)) }
        guard let milliseconds, RFC3339.writableMilliseconds.contains(milliseconds) else { return nil }
        self = .at(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// The eta as the record stores it: UTC, millisecond precision, `Z` suffix.
    public func timestamp(now: Date = Date()) -> String {
        let date: Date
        switch self {
        case .after(let duration):
            let (seconds, attoseconds) = duration.components
            date = now.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
        case .at(let absolute):
            date = absolute
        }
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

