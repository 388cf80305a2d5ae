import JobStatusCore
import NIOCore

/// A request as the handler planned it from its head: what work it asks for, and what its
/// answer says about itself. The connection's state machine carries it from the head to the
/// answer; the handler renders the answer from it.
struct PlannedRequest {
    /// What answering the request takes.
    enum Work {
        /// Answered from the head alone.
        case immediate(ImmediateAnswer)
        /// `/health/ready`: one probe of the job store.
        case probe
        /// A job poll; with `wait`, a long poll held until the job changes or the wait is over.
        case poll(wait: TimeAmount?)
        /// An event stream of the job.
        case stream(lastEventID: Int64?)
    }

    enum ImmediateAnswer {
        case error(APIError, ResponseHeaders)
        case live
        case metrics
        case document
    }

    var work: Work
    var isHead: Bool
    var isHTTP10: Bool
    var connection: HTTPResponseComposer.Connection
    var meta: EnvelopeMeta
    /// Set when the server began shutting down while this request was in progress: it is answered
    /// as soon as it can be (a long poll from one read, a stream after its next event) and the
    /// connection closes after it.
    var draining = false
    var jobID: Substring = ""
    var clientID: String?
    /// The raw `If-None-Match` value.
    var ifNoneMatch: String?
    /// The wait granted, in seconds, for `Preference-Applied`.
    var appliedWait: Int?
    /// The client whose waiter slot (`limits.max_waiters_per_client`) this long poll or stream
    /// holds; released when the request leaves the connection, answered or not.
    var waiterKey: String?
    /// For the metrics and the access log.
    var route = RouteLabel.unknown
    var method = ""
    var startedAt = NIODeadline.uptimeNanoseconds(0)

    init(work: Work, isHead: Bool, isHTTP10: Bool, connection: HTTPResponseComposer.Connection, meta: EnvelopeMeta) {
        self.work = work
        self.isHead = isHead
        self.isHTTP10 = isHTTP10
        self.connection = connection
        self.meta = meta
    }

    /// Whether the connection closes after this request's answer.
    var closesConnection: Bool { self.connection == .close }

    /// The server is shutting down: answer this request without holding it, and close.
    mutating func drain() {
        self.draining = true
        self.connection = .close
    }
}
