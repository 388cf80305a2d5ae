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

    /// The `ids` of a job list, as far as routing reads them: their elements are counted, not
    /// collected, so a request refused before its caller is known costs what its length costs.
    /// Ids are separated by commas, also percent-encoded (`%2C`, as form encoders write them),
    /// within one `ids` parameter or across several; empty elements are skipped. `ids(maxDistinct:)`
    /// reads them once the caller may.
    enum ListedIDs: Equatable {
        /// Some ids (`count` non-empty elements, repeats included), in at most
        /// `2 × polling.max_batch` elements.
        case listed(count: Int)
        /// No `ids`, or none but empty elements.
        case none
        /// More elements than `2 × polling.max_batch`, repeats and empty ones included (the rest
        /// was not read).
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
    /// The query, without `?` and fragment.
    let query: Substring
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

    /// - Parameter maxListedIDs: the most distinct ids a job list may name (`polling.max_batch`);
    ///   it may spell them in twice as many elements.
    init(uri: String, maxListedIDs: Int = 100) {
        var uri = uri
        var pathRange = 0..<0
        var queryRange = 0..<0
        var raw = RawRoute.unknown
        var query = QueryParameters()
        uri.withUTF8 { bytes in
            let (path, queryPart) = Self.split(bytes)
            pathRange = path
            queryRange = queryPart
            raw = Self.route(UnsafeBufferPointer(rebasing: bytes[path]))
            query = Self.parameters(bytes, query: queryPart, listingIDs: raw == .jobList, maxElements: 2 * maxListedIDs)
        }
        let utf8 = uri.utf8
        func substring(_ range: Range<Int>) -> Substring {
            let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            return uri[lower..<utf8.index(lower, offsetBy: range.count)]
        }
        self.path = pathRange.isEmpty ? "/" : substring(pathRange)
        self.query = substring(queryRange)
        switch raw {
        case .job(let id, let isValid, let events):
            let idText = substring((pathRange.lowerBound + id.lowerBound)..<(pathRange.lowerBound + id.upperBound))
            self.route = events ? .jobEvents(id: idText, isValidID: isValid) : .job(id: idText, isValidID: isValid)
        case .jobList:
            switch query.listedIDs {
            case nil: self.route = .jobList(.tooMany)
            case 0?: self.route = .jobList(.none)
            case let count?: self.route = .jobList(.listed(count: count))
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
        guard path.count >= cursor + 4,
            HTTPBytes.equalsIgnoringCase(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: path[cursor..<(cursor + 4)])), "jobs")
        else { return .unknown }
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

    /// What the query says, read in one pass: the first `wait`, and (for a job list) how many
    /// non-empty elements its `ids` have; `listedIDs` nil: more than `maxElements` elements.
    private struct QueryParameters {
        var wait = WaitParameter.absent
        var listedIDs: Int? = 0
    }

    private static func parameters(
        _ bytes: UnsafeBufferPointer<UInt8>,
        query: Range<Int>,
        listingIDs: Bool,
        maxElements: Int
    ) -> QueryParameters {
        var found = QueryParameters()
        var seenWait = false
        var elements = 0
        Self.forEachParameter(bytes, query: query) { pair, range in
            if !seenWait, Self.hasPrefix(pair, "wait=") || Self.equals(pair, "wait") {
                seenWait = true
                found.wait = Self.waitValue(pair.dropFirst(5))
            } else if listingIDs, Self.hasPrefix(pair, "ids="), let listed = found.listedIDs {
                var nonEmpty = listed
                let within = Self.forEachElement(bytes, in: (range.lowerBound + 4)..<range.upperBound) { element in
                    elements += 1
                    if !element.isEmpty { nonEmpty += 1 }
                    return elements <= maxElements
                }
                found.listedIDs = within ? nonEmpty : nil
            }
        }
        return found
    }

    /// The distinct ids of a job list, in the order first listed; nil when there are more than
    /// `maxDistinct`. Linear: repeats are found by hashing, never by scanning the ids so far.
    func ids(maxDistinct: Int) -> [Substring]? {
        guard case .jobList(.listed(let count)) = self.route else { return [] }
        var ids: [Substring] = []
        var seen = Set<Substring>(minimumCapacity: min(count, maxDistinct + 1))
        var query = self.query
        let text = self.query
        query.withUTF8 { bytes in
            Self.forEachParameter(bytes, query: 0..<bytes.count) { pair, range in
                guard ids.count <= maxDistinct, Self.hasPrefix(pair, "ids=") else { return }
                _ = Self.forEachElement(bytes, in: (range.lowerBound + 4)..<range.upperBound) { element in
                    guard !element.isEmpty else { return true }
                    let lower = text.utf8.index(text.startIndex, offsetBy: element.lowerBound)
                    let id = text[lower..<text.utf8.index(lower, offsetBy: element.count)]
                    if seen.insert(id).inserted {
                        ids.append(id)
                    }
                    return ids.count <= maxDistinct
                }
            }
        }
        return ids.count <= maxDistinct ? ids : nil
    }

    /// Calls `body` with each `name=value` pair of the query (bytes and range), in order.
    private static func forEachParameter(
        _ bytes: UnsafeBufferPointer<UInt8>,
        query: Range<Int>,
        _ body: (UnsafeBufferPointer<UInt8>, Range<Int>) -> Void
    ) {
        var start = query.lowerBound
        while start < query.upperBound {
            let end = bytes[start..<query.upperBound].firstIndex(of: UInt8(ascii: "&")) ?? query.upperBound
            body(UnsafeBufferPointer(rebasing: bytes[start..<end]), start..<end)
            start = end + 1
        }
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

    /// Calls `body` with the byte range of each element of one `ids` value, empty ones included,
    /// while it returns true; false when it stopped one.
    private static func forEachElement(_ bytes: UnsafeBufferPointer<UInt8>, in value: Range<Int>, _ body: (Range<Int>) -> Bool) -> Bool {
        var elementStart = value.lowerBound
        var index = value.lowerBound
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
            guard body(elementStart..<index) else { return false }
            index += separator
            elementStart = index
        }
        return body(elementStart..<value.upperBound)
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
