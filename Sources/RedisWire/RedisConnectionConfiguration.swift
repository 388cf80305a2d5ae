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

    public init(
        url: RedisURL,
        commandTimeout: TimeAmount = .seconds(1),
        connectTimeout: TimeAmount? = nil,
        maxPendingCommands: Int = 16_384,
        initialBackoff: TimeAmount = .milliseconds(50),
        maximumBackoff: TimeAmount = .seconds(1),
        alternateURLs: [RedisURL] = [],
        readOnly: Bool = false,
        heartbeat: TimeAmount? = .seconds(15)
    ) {
        self.heartbeat = heartbeat
        self.url = url
        self.alternateURLs = alternateURLs
        self.readOnly = readOnly
        self.commandTimeout = commandTimeout
        self.connectTimeout = connectTimeout ?? commandTimeout
        self.maxPendingCommands = maxPendingCommands
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
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
