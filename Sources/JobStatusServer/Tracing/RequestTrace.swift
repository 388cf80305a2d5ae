import Tracing

/// The spans of the request a connection is answering: the server span, the Redis read in flight,
/// the wait of a long poll or stream. `JobRequestHandler` keeps one per request while tracing is
/// on, and ends it when the request is answered or abandoned.
struct RequestTrace {
    private let tracer: RequestTracer
    let server: any Span
    private var read: (any Span)?
    private var wait: (any Span)?

    /// The trace of a request planned now.
    init(_ tracer: RequestTracer, request: RequestFacts) {
        self.tracer = tracer
        self.server = tracer.startRequest(request)
    }

    /// The trace id the request's log lines carry: the span's (the incoming trace's, or a new one).
    var traceID: String? { self.server.context.otelTraceID }

    mutating func startRead(jobs: Int?) {
        // A span the sampler dropped has children it drops too: they are not made at all.
        guard self.server.isRecording else { return }
        self.read?.end()
        let read = self.tracer.startChild(jobs == nil ? "redis read job" : "redis read job list", of: self.server, kind: .client)
        read.attributes["db.system.name"] = "redis"
        if let jobs { read.attributes["jobstatus.jobs"] = jobs }
        self.read = read
    }

    /// The read in flight ended: answered, or (`failed`) not.
    mutating func endRead(failed: Bool = false) {
        guard let read = self.read else { return }
        if failed { read.setStatus(SpanStatus(code: .error, message: "the job store did not answer")) }
        read.end()
        self.read = nil
    }

    /// A long poll or stream starts waiting for a change (once per request: a stream's re-watches
    /// are part of the same wait).
    mutating func startWait() {
        guard self.server.isRecording, self.wait == nil else { return }
        self.wait = self.tracer.startChild("wait for a change", of: self.server, kind: .internal)
    }

    /// The request was answered with `status`. The job id is recorded only where the job is the
    /// caller's (a 200, 303 or 304 of one job): a 404 says nothing of whose the id is.
    mutating func finish(_ facts: RequestFacts, status: Int) {
        self.endRead()
        self.wait?.end()
        self.wait = nil
        guard self.server.isRecording else {
            self.server.end()
            return
        }
        let attributes: [(String, any SpanAttributeConvertible)?] = [
            ("http.request.method", facts.method),
            facts.route.httpRoute.map { ("http.route", $0) },
            ("http.response.status_code", status),
            ("jobstatus.request_id", facts.meta.requestID),
            facts.clientID.map { ("jobstatus.client_id", $0) },
            facts.list.map { ("jobstatus.jobs", $0.ids.count) },
            facts.appliedWait.map { ("jobstatus.wait_seconds", $0) },
            !facts.jobID.isEmpty && facts.list == nil && [200, 303, 304].contains(status) ? ("jobstatus.job_id", String(facts.jobID)) : nil,
        ]
        for case let (name, value)? in attributes {
            self.server.attributes[name] = value
        }
        if status >= 500 { self.server.setStatus(SpanStatus(code: .error)) }
        self.server.end()
    }

    /// The connection went away before the answer.
    mutating func abandon() {
        self.endRead(failed: true)
        self.wait?.end()
        self.wait = nil
        self.server.attributes["jobstatus.abandoned"] = true
        self.server.setStatus(SpanStatus(code: .error, message: "the connection closed before the answer"))
        self.server.end()
    }
}
