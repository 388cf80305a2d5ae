import CoreMetrics

/// The request metrics of one event loop: counters by route and status, and a latency histogram
/// by route. Metric objects are made once and kept, so recording costs a dictionary lookup and an
/// atomic add, not a trip through the metrics factory.
final class RequestMetrics {
    private var counters: [Int: Counter] = [:]
    private let durations: [Timer]

    /// Requests refused with 429 (over the rate, or over the cap on waiting requests).
    static let rateLimited = Counter(label: "jobstatus_rate_limited_total")
    /// Open HTTP connections.
    static let connections = Meter(label: "jobstatus_http_connections")
    /// Long polls and event streams waiting for a change.
    static let waiters = Meter(label: "jobstatus_waiters")
    /// Connections refused because `limits.max_connections` or `limits.max_connections_per_address` was reached.
    static let refusedConnections = Counter(label: "jobstatus_http_connections_refused_total")

    /// Makes the instance-wide metrics now, so each is in the first scrape (see `RedisMetrics.register`).
    static func register() {
        _ = (self.rateLimited, self.connections, self.waiters, self.refusedConnections)
    }

    init() {
        self.durations = RouteLabel.allCases.map { route in
            Timer(label: "jobstatus_http_request_duration_seconds", dimensions: [("route", route.name)])
        }
    }

    func record(route: RouteLabel, status: Int, nanoseconds: Int64) {
        let key = route.rawValue * 1000 + status
        let counter: Counter
        if let existing = self.counters[key] {
            counter = existing
        } else {
            counter = Counter(label: "jobstatus_http_requests_total", dimensions: [("route", route.name), ("status", String(status))])
            self.counters[key] = counter
        }
        counter.increment()
        self.durations[route.rawValue].recordNanoseconds(nanoseconds)
    }
}
