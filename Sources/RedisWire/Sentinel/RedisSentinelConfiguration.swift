/// Where the sentinels of a Redis Sentinel deployment are and which master they watch.
///
/// The sentinels' own credentials are those of their URLs; the data nodes' credentials, database
/// and TLS are those of the `RedisConnectionConfiguration` this belongs to. Sentinels speak TLS
/// when their URLs are `rediss://`, with that configuration's `tls`.
public struct RedisSentinelConfiguration: Sendable, Equatable {
    /// Asked in turn; the one that answers moves to the front, as the Sentinel client spec says.
    public var sentinels: [RedisURL]
    /// The name the sentinels monitor the master under (`sentinel monitor <name> …`).
    public var masterName: String

    public init(sentinels: [RedisURL], masterName: String) {
        precondition(!sentinels.isEmpty, "a sentinel deployment needs at least one sentinel")
        self.sentinels = sentinels
        self.masterName = masterName
    }

    /// For logs: the master's name and where the sentinels are (passwords masked).
    public var description: String {
        "master '\(self.masterName)' via sentinels " + self.sentinels.map(\.description).joined(separator: ",")
    }
}
