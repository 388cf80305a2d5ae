/// The route dimension of the request metrics: few, fixed values (never the raw path). Held
/// requests have routes of their own, so that the latency of plain polls is what it says.
enum RouteLabel: Int, CaseIterable {
    /// A poll of one job answered at once.
    case job
    /// A long poll of one job (`wait` granted): its duration includes the wait.
    case jobWait
    /// `/api/jobs?ids=…`, answered at once.
    case jobList
    /// A held job list.
    case jobListWait
    case events
    case health
    case metrics
    case document
    case unknown

    /// The route's template (OpenTelemetry's `http.route`), never the path itself: a job id in a
    /// span name would make every name unique. Nil for paths that are no route.
    var httpRoute: String? {
        switch self {
        case .job, .jobWait: "/api/jobs/{id}"
        case .jobList, .jobListWait: "/api/jobs"
        case .events: "/api/jobs/{id}/events"
        case .health: "/health"
        case .metrics: "/metrics"
        case .document: "/openapi.yaml"
        case .unknown: nil
        }
    }

    /// The name of a request's span: the method and the route (`GET /api/jobs/{id}`); made once
    /// for GET and HEAD, which is nearly every request.
    func spanName(method: String) -> String {
        switch method {
        case "GET": Self.getSpanNames[self.rawValue]
        case "HEAD": Self.headSpanNames[self.rawValue]
        default: self.httpRoute.map { "\(method) \($0)" } ?? method
        }
    }

    private static let getSpanNames = Self.allCases.map { $0.httpRoute.map { "GET \($0)" } ?? "GET" }
    private static let headSpanNames = Self.allCases.map { $0.httpRoute.map { "HEAD \($0)" } ?? "HEAD" }

    var name: String {
        switch self {
        case .job: "job"
        case .jobWait: "job_wait"
        case .jobList: "jobs"
        case .jobListWait: "jobs_wait"
        case .events: "events"
        case .health: "health"
        case .metrics: "metrics"
        case .document: "openapi"
        case .unknown: "unknown"
        }
    }
}
