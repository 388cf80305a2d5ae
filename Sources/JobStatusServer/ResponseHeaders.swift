/// The optional headers of one response; the fixed ones are written by `HTTPResponseComposer`.
struct ResponseHeaders {
    /// `Retry-After`, in seconds.
    var retryAfter: Int?
    /// `Allow: GET, HEAD`, for 405.
    var allowGetHead = false
    /// `WWW-Authenticate`, for 401 (RFC 6750).
    var wwwAuthenticate: StaticString?
    /// `Location`, already checked to be a safe header value.
    var location: String?
}
