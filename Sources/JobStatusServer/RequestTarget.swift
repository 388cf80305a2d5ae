import JobStatusCore

/// What a request URI asks for, parsed from its bytes in one pass.
///
/// Only the path decides the route. The `jobs` segment is matched case-insensitively because the
/// API's own documentation links to `/Jobs/<id>`. The id is returned as received together with
/// whether it is a valid `JobID`, so a malformed id is answered without touching Redis.
struct RequestTarget {
    enum Route: Equatable {
        /// `/api/jobs/{id}` or `/jobs/{id}`.
        case job(id: Substring, isValidID: Bool)
        /// `/api/jobs/{id}/events` or `/jobs/{id}/events`: the Server-Sent Events stream.
        case jobEvents(id: Substring, isValidID: Bool)
        case healthLive
        case healthReady
        /// `/metrics`: Prometheus text format.
        case metrics
        /// `/openapi.yaml`: the API's OpenAPI document.
        case document
        case unknown
    }

    /// The `wait` query parameter of a long poll.
    enum WaitParameter: Equatable {
        case absent
        /// Whole seconds, saturated at `Int32.max`.
        case seconds(Int)
        /// Present but not a non-negative integer.
        case invalid
    }

    /// The path, without query: what `meta.url` repeats.
    let path: Substring
    let route: Route
    let wait: WaitParameter

    /// The route as the metrics name it.
    var label: RouteLabel {
        switch self.route {
        case .job: .job
        case .jobEvents: .events
        case .healthLive, .healthReady: .health
        case .metrics: .metrics
        case .document: .document
        case .unknown: .unknown
        }
    }

    init(uri: String) {
        var uri = uri
        var pathRange = 0..<0
        var raw = RawRoute.unknown
        var wait = WaitParameter.absent
        uri.withUTF8 { bytes in
            let (path, query) = Self.split(bytes)
            pathRange = path
            raw = Self.route(UnsafeBufferPointer(rebasing: bytes[path]))
            wait = Self.waitParameter(UnsafeBufferPointer(rebasing: bytes[query]))
        }
        let utf8 = uri.utf8
        func substring(_ range: Range<Int>) -> Substring {
            let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            return uri[lower..<utf8.index(lower, offsetBy: range.count)]
        }
        self.path = pathRange.isEmpty ? "/" : substring(pathRange)
        switch raw {
        case .job(let id, let isValid, let events):
            let idText = substring((pathRange.lowerBound + id.lowerBound)..<(pathRange.lowerBound + id.upperBound))
            self.route = events ? .jobEvents(id: idText, isValidID: isValid) : .job(id: idText, isValidID: isValid)
        case .healthLive: self.route = .healthLive
        case .healthReady: self.route = .healthReady
        case .metrics: self.route = .metrics
        case .document: self.route = .document
        case .unknown: self.route = .unknown
        }
        self.wait = wait
    }

    /// A route found in the path bytes, the id as a byte range of the path.
    private enum RawRoute {
        case job(id: Range<Int>, isValid: Bool, events: Bool)
        case healthLive
        case healthReady
        case metrics
        case document
        case unknown
    }

    /// The byte ranges of the path and of the query (after `?`, before `#`). An absolute-form
    /// target (`http://host/path`, as some proxies send) is reduced to its path.
    private static func split(_ bytes: UnsafeBufferPointer<UInt8>) -> (Range<Int>, Range<Int>) {
        var start = 0
        if bytes.first != UInt8(ascii: "/") {
            // scheme "://" authority, then the path
            if let schemeEnd = Self.find("://", in: bytes, from: 0) {
                start = bytes[(schemeEnd + 3)...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.count
            }
        }
        let fragment = bytes[start...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.count
        guard let question = bytes[start..<fragment].firstIndex(of: UInt8(ascii: "?")) else {
            return (start..<fragment, fragment..<fragment)
        }
        return (start..<question, (question + 1)..<fragment)
    }

    private static func route(_ path: UnsafeBufferPointer<UInt8>) -> RawRoute {
        if Self.equals(path, "/health/live") { return .healthLive }
        if Self.equals(path, "/health/ready") { return .healthReady }
        if Self.equals(path, "/metrics") { return .metrics }
        if Self.equals(path, "/openapi.yaml") { return .document }
        var cursor = 0
        if Self.hasPrefix(path, "/api/") {
            cursor = 5
        } else if path.first == UInt8(ascii: "/") {
            cursor = 1
        } else {
            return .unknown
        }
        // "jobs", any case, then "/"
        guard path.count >= cursor + 5 else { return .unknown }
        for (offset, letter) in "jobs".utf8.enumerated() where path[cursor + offset] | 0x20 != letter {
            return .unknown
        }
        guard path[cursor + 4] == UInt8(ascii: "/") else { return .unknown }
        let idStart = cursor + 5
        let idEnd = path[idStart...].firstIndex(of: UInt8(ascii: "/")) ?? path.count
        // Only ".../{id}/events" continues past the id.
        let events = idEnd < path.count
        if events && !Self.equals(UnsafeBufferPointer(rebasing: path[idEnd...]), "/events") {
            return .unknown
        }
        let isValid = JobID.isValid(UnsafeBufferPointer(rebasing: path[idStart..<idEnd]))
        return .job(id: idStart..<idEnd, isValid: isValid, events: events)
    }

    /// The first `wait=` of the query: digits only (a non-negative integer), or invalid.
    private static func waitParameter(_ query: UnsafeBufferPointer<UInt8>) -> WaitParameter {
        var start = 0
        while start < query.count {
            let end = query[start...].firstIndex(of: UInt8(ascii: "&")) ?? query.count
            let pair = UnsafeBufferPointer(rebasing: query[start..<end])
            if Self.hasPrefix(pair, "wait=") || Self.equals(pair, "wait") {
                let value = pair.dropFirst(5)
                guard !value.isEmpty, value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                    return .invalid
                }
                var seconds = 0
                for digit in value {
                    seconds = min(seconds * 10 + Int(digit - UInt8(ascii: "0")), Int(Int32.max))
                }
                return .seconds(seconds)
            }
            start = end + 1
        }
        return .absent
    }

    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && Self.hasPrefix(bytes, text)
    }

    private static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        return memcmp(bytes.baseAddress!, text.utf8Start, count) == 0
    }

    private static func find(_ text: StaticString, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let count = text.utf8CodeUnitCount
        guard bytes.count >= count else { return nil }
        for index in start...(bytes.count - count)
        where memcmp(bytes.baseAddress! + index, text.utf8Start, count) == 0 {
            return index
        }
        return nil
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
