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
        /// `/api/jobs?ids=…` or `/jobs?ids=…`: a list of jobs.
        case jobList(ListedIDs)
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

    /// The `ids` of a job list, as received (a malformed one included), in the order given, each
    /// once. Ids are separated by commas, also percent-encoded (`%2C`, as form encoders write
    /// them), within one `ids` parameter or across several; empty elements are skipped.
    enum ListedIDs: Equatable {
        case ids([Substring])
        /// No `ids`, or none but empty elements.
        case none
        /// More distinct ids than the limit (the rest was not read).
        case tooMany
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
        case .jobList: .jobList
        case .jobEvents: .events
        case .healthLive, .healthReady: .health
        case .metrics: .metrics
        case .document: .document
        case .unknown: .unknown
        }
    }

    /// - Parameter maxListedIDs: the most distinct ids a job list may name (`polling.max_batch`).
    init(uri: String, maxListedIDs: Int = 100) {
        var uri = uri
        var pathRange = 0..<0
        var raw = RawRoute.unknown
        var query = QueryParameters()
        uri.withUTF8 { bytes in
            let (path, queryRange) = Self.split(bytes)
            pathRange = path
            raw = Self.route(UnsafeBufferPointer(rebasing: bytes[path]))
            query = Self.parameters(bytes, query: queryRange, listingIDs: raw == .jobList, maxListedIDs: maxListedIDs)
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
        case .jobList:
            switch query.ids {
            case nil: self.route = .jobList(.tooMany)
            case let ranges? where ranges.isEmpty: self.route = .jobList(.none)
            case let ranges?: self.route = .jobList(.ids(ranges.map(substring)))
            }
        case .healthLive: self.route = .healthLive
        case .healthReady: self.route = .healthReady
        case .metrics: self.route = .metrics
        case .document: self.route = .document
        case .unknown: self.route = .unknown
        }
        self.wait = query.wait
    }

    /// A route found in the path bytes, the id as a byte range of the path.
    private enum RawRoute: Equatable {
        case job(id: Range<Int>, isValid: Bool, events: Bool)
        case jobList
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
        // "jobs", any case, then "/" (or the end: the list)
        guard path.count >= cursor + 4 else { return .unknown }
        for (offset, letter) in "jobs".utf8.enumerated() where path[cursor + offset] | 0x20 != letter {
            return .unknown
        }
        if path.count == cursor + 4 { return .jobList }
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

    /// What the query says, read in one pass: the first `wait`, and (for a job list) every id of
    /// every `ids`, as absolute byte ranges of the URI; `ids` nil: more than `maxListedIDs`.
    private struct QueryParameters {
        var wait = WaitParameter.absent
        var ids: [Range<Int>]? = []
    }

    private static func parameters(
        _ bytes: UnsafeBufferPointer<UInt8>,
        query: Range<Int>,
        listingIDs: Bool,
        maxListedIDs: Int
    ) -> QueryParameters {
        var found = QueryParameters()
        var seenWait = false
        var start = query.lowerBound
        while start < query.upperBound {
            let end = bytes[start..<query.upperBound].firstIndex(of: UInt8(ascii: "&")) ?? query.upperBound
            let pair = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if !seenWait, Self.hasPrefix(pair, "wait=") || Self.equals(pair, "wait") {
                seenWait = true
                found.wait = Self.waitValue(pair.dropFirst(5))
            } else if listingIDs, Self.hasPrefix(pair, "ids="), var ids = found.ids {
                found.ids = Self.appendIDs(bytes, in: (start + 4)..<end, to: &ids, limit: maxListedIDs) ? ids : nil
            }
            start = end + 1
        }
        return found
    }

    /// A `wait` value: digits only (a non-negative integer), or invalid.
    private static func waitValue(_ value: Slice<UnsafeBufferPointer<UInt8>>) -> WaitParameter {
        guard !value.isEmpty, value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .invalid
        }
        var seconds = 0
        for digit in value {
            seconds = min(seconds * 10 + Int(digit - UInt8(ascii: "0")), Int(Int32.max))
        }
        return .seconds(seconds)
    }

    /// Adds the ids of one `ids` value to `ids`, skipping empty elements and repeats; false once
    /// there are more than `limit` (the rest is not read).
    private static func appendIDs(_ bytes: UnsafeBufferPointer<UInt8>, in value: Range<Int>, to ids: inout [Range<Int>], limit: Int) -> Bool {
        var elementStart = value.lowerBound
        var index = value.lowerBound
        func endElement(at end: Int) -> Bool {
            let element = elementStart..<end
            guard !element.isEmpty else { return true }
            let text = UnsafeBufferPointer(rebasing: bytes[element])
            if ids.contains(where: { $0.count == element.count && Self.equals(UnsafeBufferPointer(rebasing: bytes[$0]), text) }) {
                return true
            }
            ids.append(element)
            return ids.count <= limit
        }
        while index < value.upperBound {
            let separator: Int
            if bytes[index] == UInt8(ascii: ",") {
                separator = 1
            } else if bytes[index] == UInt8(ascii: "%"), index + 2 < value.upperBound, bytes[index + 1] == UInt8(ascii: "2"),
                bytes[index + 2] | 0x20 == UInt8(ascii: "c")
            {
                separator = 3
            } else {
                index += 1
                continue
            }
            guard endElement(at: index) else { return false }
            index += separator
            elementStart = index
        }
        return endElement(at: value.upperBound)
    }

    private static func equals(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Bool {
        lhs.count == rhs.count && (lhs.isEmpty || memcmp(lhs.baseAddress!, rhs.baseAddress!, lhs.count) == 0)
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
