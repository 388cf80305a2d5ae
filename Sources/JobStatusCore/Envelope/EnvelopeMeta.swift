/// The request facts every envelope's `meta` repeats: where the request was sent and its id.
public struct EnvelopeMeta {
    /// `http` or `https`.
    public var scheme: String
    /// The authority the client used (`host[:port]`), as received.
    public var host: String
    /// The request path without the query string, as received.
    public var path: Substring
    public var requestID: String

    public init(scheme: String, host: String, path: Substring, requestID: String) {
        self.scheme = scheme
        self.host = host
        self.path = path
        self.requestID = requestID
    }
}
