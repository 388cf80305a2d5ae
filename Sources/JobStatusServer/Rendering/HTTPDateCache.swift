#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `Date` header value (RFC 9110 IMF-fixdate), formatted at most once per second per loop.
final class HTTPDateCache {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private var second = -1
    private(set) var current = ""

    /// The header value for now, e.g. `Sat, 28 Nov 2026 08:27:15 GMT`.
    func now() -> String {
        let seconds = time(nil)
        if seconds != self.second {
            self.second = seconds
            self.current = Self.format(seconds)
        }
        return self.current
    }

    static func format(_ seconds: Int) -> String {
        var clock = seconds
        var parts = tm()
        gmtime_r(&clock, &parts)
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(self.weekdays[Int(parts.tm_wday)]), \(twoDigits(parts.tm_mday)) \(self.months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec)) GMT"
    }
}
