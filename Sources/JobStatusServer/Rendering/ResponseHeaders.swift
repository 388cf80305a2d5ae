import JobStatusCore

/// The optional headers of one response; the fixed ones are written by `HTTPResponseComposer`.
struct ResponseHeaders {
    enum Tag {
        case job(EntityTag)
        case list(JobListTag)
    }

    enum CacheControl {
        /// Pending jobs: revalidate every time (the ETag makes that cheap).
        case noCache
        /// Errors: never keep.
        case noStore
        /// Terminal jobs, which never change.
        case privateMaxAge(Int)
    }

    /// `Retry-After`, in seconds.
    var retryAfter: Int?
    /// `Allow: GET, HEAD`, for 405.
    var allowGetHead = false
    /// `WWW-Authenticate`, for 401 (RFC 6750).
    var wwwAuthenticate: StaticString?
    /// `Location`, already checked to be a safe header value: a link's href, borrowed from the
    /// record like a job's `entityTag`.
    var location: UnsafeRawBufferPointer?
    /// `ETag`: a job's (borrowed from the record, so only valid while the reply is being answered)
    /// or a job list's.
    var entityTag: Tag?
    var cacheControl: CacheControl?
    /// `Preference-Applied: wait=N`: the wait a long poll was granted.
    var appliedWait: Int?
}
