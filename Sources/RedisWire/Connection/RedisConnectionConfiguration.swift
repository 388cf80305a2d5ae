public import NIOCore

/// How a `RedisConnection` reaches its server and how patient it is.
public struct RedisConnectionConfiguration: Sendable {
    public var url: RedisURL
    /// Other addresses of the same service, tried in turn when reconnecting (cluster seeds, for
    /// a subscriber that may reach any node). Credentials are always those of `url`.
    public var alternateURLs: [RedisURL]
    /// Send `READONLY` after logging in: lets a cluster replica serve reads.
    public var readOnly: Bool
    /// How long a command may wait for its reply before it fails and the connection is reset.
    public var commandTimeout: TimeAmount
    /// How long establishing the TCP connection may take.
    public var connectTimeout: TimeAmount
    /// Commands allowed in flight on one connection; beyond that, commands fail at once.
    public var maxPendingCommands: Int
    /// The first delay between failed connection attempts; it doubles up to `maximumBackoff`.
    public var initialBackoff: TimeAmount
    /// The longest delay between attempts; it bounds how long recovery takes once Redis is back.
    public var maximumBackoff: TimeAmount
    /// How long a connection may go without traffic before it sends a `PING` (nil: never).
    public var heartbeat: TimeAmount?
    /// TLS for every connection made with this configuration; nil: plaintext. A `rediss://`
    /// URL without one gets the defaults (full verification against the system's trust store).
    public var tls: RedisTLSConfiguration?
    /// A file holding the password, read again at every (re)connect; it overrides the URL's.
    public var passwordFile: String?
    /// Set: the server is the master these sentinels name, asked at every (re)connect, and
    /// `url` gives only the credentials, database and scheme (its host and port are ignored).
    public var sentinel: RedisSentinelConfiguration?

    public init(
        url: RedisURL,
        commandTimeout: TimeAmount = .seconds(1),
        connectTimeout: TimeAmount? = nil,
        maxPendingCommands: Int = 16_384,
        initialBackoff: TimeAmount = .milliseconds(50),
        maximumBackoff: TimeAmount = .seconds(1),
        alternateURLs: [RedisURL] = [],
        readOnly: Bool = false,
        heartbeat: TimeAmount? = .seconds(15),
        tls: RedisTLSConfiguration? = nil,
        passwordFile: String? = nil,
        sentinel: RedisSentinelConfiguration? = nil
    ) {
        self.sentinel = sentinel
        self.heartbeat = heartbeat
        self.tls = tls ?? (url.tls ? RedisTLSConfiguration() : nil)
        self.passwordFile = passwordFile
        self.url = url
        self.alternateURLs = alternateURLs
        self.readOnly = readOnly
        self.commandTimeout = commandTimeout
        self.connectTimeout = connectTimeout ?? commandTimeout
        self.maxPendingCommands = maxPendingCommands
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    /// Whether an attempt must read files first (off the event loop).
    var readsFiles: Bool { self.tls != nil || self.passwordFile != nil }

    /// What each attempt reads afresh, so that a rotated password or certificate is used at the
    /// next reconnect. Blocking: call it off the event loop.
    func loadLoginMaterial() throws(RedisConnectFailure) -> RedisLoginMaterial {
        RedisLoginMaterial(
            tlsContext: try self.tls?.makeContext(),
            password: try self.passwordFile.map { path throws(RedisConnectFailure) in
                try SecretFile.read(path, setting: "redis.password_file")
            } ?? self.url.password
        )
    }

    /// The delay before reconnect attempt number `attempt` (1-based): the first retry is
    /// immediate, later ones back off exponentially up to the cap.
    func backoff(beforeAttempt attempt: Int) -> TimeAmount {
        guard attempt > 1 else { return .zero }
        let exponent = min(attempt - 2, 20)
        let delay = self.initialBackoff.nanoseconds << exponent
        return .nanoseconds(min(delay, self.maximumBackoff.nanoseconds))
    }
}
