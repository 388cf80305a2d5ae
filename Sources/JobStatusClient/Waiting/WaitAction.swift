/// What a waiting machine asks its poller to do next.
enum WaitAction: Sendable, Equatable {
    /// Send a request held up to `wait` seconds (0: not held), with `If-None-Match` when set, for
    /// `ids` (a list request) or the machine's one job.
    case ask(wait: Int, ifNoneMatch: String?, ids: [String])
    case sleep(Duration)
    /// Done: the job (single waits), or nothing (lists hand their jobs out as they finish).
    case finish(JobResult?)
    case fail(JobStatusClientError)
}

/// An answer of the service, as the machines read it (the poller maps the generated outputs).
enum WaitAnswer: Sendable, Equatable {
    /// 200 or 303 with a job; `held` when `Preference-Applied` says the request was held.
    case job(JobResult, held: Bool, retryAfter: Int?)
    /// 304 (a job, or a list).
    case notModified(held: Bool, retryAfter: Int?)
    /// 200 with a job list, and the list's `ETag`.
    case list([JobResult], tag: String?, held: Bool, retryAfter: Int?)
    /// 404: final.
    case notFound
    /// 429.
    case throttled(retryAfter: Int?)
    /// 503 (502 or 504 from a load balancer): retried after a pause.
    case unavailable(status: Int, retryAfter: Int?)
    /// Anything no retry mends.
    case refused(status: Int, type: String?, message: String)
}
