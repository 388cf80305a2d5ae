/// The route dimension of the request metrics: few, fixed values (never the raw path).
enum RouteLabel: Int, CaseIterable {
    case job
    /// `/api/jobs?ids=…`
    case jobList
    case events
    case health
    case metrics
    case document
    case unknown

    var name: String {
        switch self {
        case .job: "job"
        case .jobList: "jobs"
        case .events: "events"
        case .health: "health"
        case .metrics: "metrics"
        case .document: "openapi"
        case .unknown: "unknown"
        }
    }
}
