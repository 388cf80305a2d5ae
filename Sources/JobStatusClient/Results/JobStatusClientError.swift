/// Why a wait ended without a finished job.
public enum JobStatusClientError: Error, Sendable, Hashable {
    /// The service refused the request (401, 403, 422, 500, …): no retry mends it. `type` and
    /// `message` are the envelope's `error`.
    case refused(status: Int, type: String?, message: String)
    /// The service could not be reached, or answered 503 (502 or 504 from a load balancer), more
    /// times in a row than `JobPoller.Configuration.maxRetries` allows.
    case unavailable(String)
    /// The timeout passed first; `last` is what the service said last (nil if it said nothing).
    case timedOut(last: [JobResult])
}
