import JobStatusCore
import NIOCore

/// A request as `RequestPlanner` planned it from its head: what work it asks for, and what its
/// answer says about itself. The connection's state machine carries it from the head to the
/// answer; `AnswerRenderer` renders the answer from it.
///
/// The machine moves it from state to state and into actions many times per request, so it is
/// kept small: the protocol's facts inline, everything only the rendering needs in one boxed
/// `RequestFacts`, and an error's large payload boxed.
struct PlannedRequest {
    /// What answering the request takes.
    enum Work {
        /// An answer from the head alone.
        case immediate(Immediate)
        /// The JWT names a key a fetch of `auth.jwt.jwks_url` may bring: wait for it, then plan
        /// the head again.
        case awaitKeys(RequestHead)
        /// `/health/ready`: one probe of the job store.
        case probe
        /// A job poll, of one job or of a list (`RequestFacts.list`); with `wait`, a long poll
        /// held until the job (or the list) changes or the wait is over. The protocol is the same
        /// for both: the store's answer is summed up as one `RecordSummary`.
        case poll(wait: TimeAmount?)
        /// An event stream of the job.
        case stream(lastEventID: Int64?)
    }

    /// What a request answered from its head alone asks for.
    enum Immediate {
        /// An error (boxed: rare, and large).
        indirect case refuse(APIError, ResponseHeaders)
        /// `/health/live`.
        case live
        case metrics
        case document
    }

    var work: Work
    var isHead: Bool
    var isHTTP10: Bool
    var connection: HTTPResponseComposer.Connection
    /// Set when the server began shutting down while this request was in progress: it is answered
    /// as soon as it can be (a long poll from one read, a stream after its next event) and the
    /// connection closes after it.
    var draining = false
    /// Whether the request carries `If-None-Match`, or is a held list reading again after a
    /// change: that read is conditional on the one before it (`JobListRead.finish`).
    var isConditional: Bool { self.facts.ifNoneMatch != nil || self.facts.list?.isReread == true }
    private let factsBox: RequestFacts.Box

    /// What the answer is rendered from; decided while planning, never changed afterwards.
    var facts: RequestFacts {
        _read { yield self.factsBox.value }
    }

    init(work: Work, isHead: Bool, isHTTP10: Bool, connection: HTTPResponseComposer.Connection, facts: RequestFacts.Box) {
        self.work = work
        self.isHead = isHead
        self.isHTTP10 = isHTTP10
        self.connection = connection
        self.factsBox = facts
    }

    /// Whether the connection closes after this request's answer.
    var closesConnection: Bool { self.connection == .close }

    /// A long poll: held until its job (or list) changes or its wait is over.
    var isHeld: Bool {
        if case .poll(wait: .some) = self.work { return true }
        return false
    }

    var isStream: Bool {
        if case .stream = self.work { return true }
        return false
    }

    /// The server is shutting down: answer this request without holding it, and close.
    mutating func drain() {
        self.draining = true
        self.connection = .close
    }
}

/// What rendering a request's answer needs and the protocol does not: the envelope's `meta`,
/// the job, the caller, and what the metrics and the access log record. `RequestPlanner` fills it
/// in while planning; afterwards it is read only.
struct RequestFacts {
    var meta: EnvelopeMeta
    /// The job of a poll or stream of one job.
    var jobID: Substring = ""
    /// The jobs of a list poll (`/api/jobs?ids=…`), with the list's reads as they arrive; nil for
    /// everything else.
    var list: JobListRead?
    var clientID: String?
    /// The raw `If-None-Match` value.
    var ifNoneMatch: String?
    /// The wait granted, in seconds, for `Preference-Applied`.
    var appliedWait: Int?
    /// The client whose waiter slot (`limits.max_waiters_per_client`) this long poll or stream
    /// holds; released when the request leaves the connection, answered or not.
    var waiterKey: String?
    var route = RouteLabel.unknown
    var method = ""
    /// The request's valid W3C trace context: its trace id is logged as `trace_id`.
    var trace: TraceHeaders?
    var startedAt: NIODeadline

    init(meta: EnvelopeMeta, startedAt: NIODeadline) {
        self.meta = meta
        self.startedAt = startedAt
    }

    /// One allocation per request, so that moving a `PlannedRequest` copies a reference rather
    /// than every string above. `RequestPlanner` fills it in place while planning (a copy of the
    /// facts into a box would retain each of their strings); once a `PlannedRequest` holds it, it
    /// is only read.
    final class Box {
        var value: RequestFacts

        init(_ value: RequestFacts) {
            self.value = value
        }
    }
}
