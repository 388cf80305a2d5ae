import JobStatusCore

/// How long a response may be used, from its `Cache-Control` (RFC 9111 §5.2.2): `max-age`, or
/// zero for `no-store` and `no-cache`. Nil when the header says neither; the caller's bounds decide.
enum CacheControlMaxAge {
    static func parse(_ value: String) -> Duration? {
        var maxAge: Duration?
        for directive in value.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingBlanks().lowercased()
            switch name {
            case "no-store", "no-cache":
                return .zero
            case "max-age" where parts.count == 2:
                var digits = parts[1].trimmingBlanks()
                if digits.hasPrefix("\""), digits.hasSuffix("\""), digits.count >= 2 { digits = digits.dropFirst().dropLast() }
                // Seconds as digits only; a value too large for an Int is as good as forever.
                guard !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }) else { continue }
                maxAge = .seconds(Int64(digits) ?? Int64.max)
            default:
                continue
            }
        }
        return maxAge
    }
}
