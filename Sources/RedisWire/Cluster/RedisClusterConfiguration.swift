/// How a `RedisClusterRouter` finds and talks to a Redis Cluster.
public struct RedisClusterConfiguration: Sendable {
    /// Nodes to learn the slot map from; any reachable one will do. Their credentials and scheme
    /// (from the first) are used for every node, as is `connection`'s TLS and password file.
    public var seeds: [RedisURL]
    /// Timeouts and backoff of every node connection (its `url` is ignored).
    public var connection: RedisConnectionConfiguration
    /// Send read-only commands to a replica of the slot's shard (possibly stale by the
    /// replication lag); writes always go to the primary.
    public var readFromReplicas: Bool
    /// The most `MOVED`/`ASK` redirections one command follows.
    public var maximumRedirections: Int
    /// How the fronts subscribe to the write script's notifications (`RedisNotifications`).
    public var notifications: RedisNotifications

    public init(
        seeds: [RedisURL],
        connection: RedisConnectionConfiguration,
        readFromReplicas: Bool = false,
        maximumRedirections: Int = 5,
        notifications: RedisNotifications = .sharded
    ) {
        precondition(!seeds.isEmpty, "a cluster needs at least one seed")
        self.seeds = seeds
        self.connection = connection
        self.readFromReplicas = readFromReplicas
        self.maximumRedirections = maximumRedirections
        self.notifications = notifications
    }

    /// The connection configuration for one node, with the seeds' credentials.
    func connection(to node: RedisNode) -> RedisConnectionConfiguration {
        var configuration = self.connection
        let credentials = self.seeds[0]
        configuration.url = RedisURL(
            host: node.host,
            port: node.port,
            user: credentials.user,
            password: credentials.password,
            tls: credentials.tls
        )
        configuration.alternateURLs = []
        configuration.readOnly = self.readFromReplicas
        return configuration
    }
}
