/// `http.*`: where the front listens and how long it waits for its clients.
public struct HTTPSettings: Sendable {
    /// `http.host`: the address to listen on.
    public var host = "0.0.0.0"
    /// `http.port`.
    public var port = 8080
    /// `http.threads`: event loops (0 = one per core). Each owns its own Redis connection.
    public var threads = 0
    /// `http.header_timeout`: a request must be complete this long after its first byte.
    public var headerTimeout: Duration = .seconds(10)
    /// `http.idle_timeout`: a keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration = .seconds(60)
    /// `http.write_timeout`: output a client leaves unread this long closes its connection.
    public var writeTimeout: Duration = .seconds(10)
    /// `http.max_header_size`: the largest request head (request line and headers), in bytes.
    public var maxHeaderSize = 16_384
    /// `http.shutdown_timeout`: how long in-flight requests may take to finish on SIGTERM.
    public var shutdownTimeout: Duration = .seconds(10)
    /// `http.trust_forwarded_headers`: build `meta.url` from `X-Forwarded-Proto`/`X-Forwarded-Host`.
    public var trustForwardedHeaders = false
    /// `http.location_header`: add `Location` (the first link) to 303 answers.
    public var locationHeader = false

    public init() {}

    /// Reads the `http` scope.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = Self()
        self.host = settings.string("host", default: defaults.host)
        self.port = try settings.int("port", default: defaults.port, in: 0...65535)
        self.threads = try settings.int("threads", default: defaults.threads, in: 0...1024)
        self.headerTimeout = try settings.positiveDuration("header_timeout", default: defaults.headerTimeout)
        self.idleTimeout = try settings.positiveDuration("idle_timeout", default: defaults.idleTimeout)
        self.writeTimeout = try settings.positiveDuration("write_timeout", default: defaults.writeTimeout)
        self.maxHeaderSize = try settings.int("max_header_size", default: defaults.maxHeaderSize, in: 1024...1_048_576)
        self.shutdownTimeout = try settings.duration("shutdown_timeout", default: defaults.shutdownTimeout)
        self.trustForwardedHeaders = try settings.bool("trust_forwarded_headers", default: defaults.trustForwardedHeaders)
        self.locationHeader = try settings.bool("location_header", default: defaults.locationHeader)
    }
}
