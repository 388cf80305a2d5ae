/// Why a wait ended without a finished job.
public enum JobStatusClientError: Error, Sendable, Hashable {
    /// The service refused the request (401, 403, 422, 500, …): no retry mends it. `type` and
    /// `message` are the envelope's `error`.
    case refused(status: Int, type: String?, message: String)
    /// The service could not be reached, or answered 503 (502 or 504 from a load balancer), more
    /// times in a row than `JobPoller.Configuration.maxRetries` allows.
    case unavailable(String)
    /// The timeout passed first; `last` is what the service said last of each job (for a list,
    /// of every listed job it answered, finished ones included, in the order listed; empty when
    /// it said nothing).
    case timedOut(last: [JobResult])
    /// An id a job list cannot carry: empty, or with a comma (commas separate the ids).
    case unlistable(id: String)
    /// The service's answer does not fit the request: a list answer that does not name exactly
    /// the ids asked, or a single job where a list was asked (or the reverse).
    case mismatched(String)
}
