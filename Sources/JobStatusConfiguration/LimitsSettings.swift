/// `limits.*`: what one client, one address and the whole instance may hold or send.
public struct LimitsSettings: Sendable {
    /// `limits.rate`: requests per second per client (0: no rate limit).
    public var rate = 1000
    /// `limits.burst`: requests a client may send at once above its rate.
    public var burst = 2000
    /// `limits.max_connections`: open HTTP connections per instance; more are closed at once.
    public var maxConnections = 20_000
    /// `limits.max_connections_per_address`: open HTTP connections one peer address may hold
    /// per instance; more from it are closed at once (0: no bound). Off by default: behind a load
    /// balancer every connection comes from the balancer's few addresses.
    public var maxConnectionsPerAddress = 0
    /// `limits.max_waiters_per_client`: long polls and event streams one client may hold open.
    public var maxWaitersPerClient = 1000

    public init() {}

    /// Reads the `limits` scope.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = Self()
        self.rate = try settings.int("rate", default: defaults.rate, in: 0...10_000_000)
        self.burst = try settings.int("burst", default: defaults.burst, in: 1...10_000_000)
        self.maxConnections = try settings.int("max_connections", default: defaults.maxConnections, in: 1...10_000_000)
        self.maxConnectionsPerAddress = try settings.int(
            "max_connections_per_address",
            default: defaults.maxConnectionsPerAddress,
            in: 0...10_000_000
        )
        self.maxWaitersPerClient = try settings.int("max_waiters_per_client", default: defaults.maxWaitersPerClient, in: 0...10_000_000)
    }
}
