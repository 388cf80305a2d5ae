/// `redis.mode`: one Redis server, a Redis Cluster, or a master watched by Redis Sentinel.
public enum RedisMode: String, Sendable, CaseIterable {
    case standalone
    case cluster
    case sentinel
}

/// `redis.read_from`: where a cluster's or a sentinel master's reads go. Replicas take load off the primaries but may
/// lag behind them by the replication delay (a poll may briefly see an older state); writes always
/// go to the primary.
public enum ReadFrom: String, Sendable, CaseIterable {
    case primary
    case replica
}
