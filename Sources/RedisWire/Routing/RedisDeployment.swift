public import Logging
public import NIOCore

/// A standalone Redis, a Redis Cluster, or a master watched by Redis Sentinel: what a router is
/// made of.
public enum RedisDeployment: Sendable {
    case standalone(RedisConnectionConfiguration)
    case cluster(RedisClusterConfiguration)
    /// The configuration's `sentinel` is set; with `readFromReplicas`, reads go to the replicas.
    case sentinel(RedisConnectionConfiguration, readFromReplicas: Bool)

    /// A router owned by `eventLoop`; call on that loop.
    public func makeRouter(on eventLoop: any EventLoop, logger: Logger) -> any RedisRouter {
        switch self {
        case .standalone(let configuration):
            RedisConnection(eventLoop: eventLoop, configuration: configuration, logger: logger)
        case .cluster(let configuration):
            RedisClusterRouter(eventLoop: eventLoop, configuration: configuration, logger: logger)
        case .sentinel(let configuration, readFromReplicas: false):
            RedisConnection(eventLoop: eventLoop, configuration: configuration, logger: logger)
        case .sentinel(let configuration, readFromReplicas: true):
            RedisSentinelRouter(eventLoop: eventLoop, configuration: configuration, logger: logger)
        }
    }

    /// The classic subscriber connection's configuration. In a cluster (with classic
    /// notifications) every node receives every `PUBLISH`, so any node will do: the seeds are
    /// tried in turn. With Sentinel it follows the
    /// master like every other connection: writes are published there.
    public var subscriberConfiguration: RedisConnectionConfiguration {
        switch self {
        case .standalone(let configuration), .sentinel(let configuration, _):
            return configuration
        case .cluster(let cluster):
            var configuration = cluster.connection
            configuration.url = cluster.seeds[0]
            configuration.alternateURLs = Array(cluster.seeds.dropFirst())
            configuration.readOnly = false
            return configuration
        }
    }

    /// For logs: where Redis is (passwords masked).
    public var description: String {
        switch self {
        case .standalone(let configuration): "\(configuration.url)"
        case .cluster(let configuration): "cluster " + configuration.seeds.map(\.description).joined(separator: ",")
        case .sentinel(let configuration, _): configuration.sentinel?.description ?? "\(configuration.url)"
        }
    }
}

extension RedisDeployment {
    /// The subscribers of one instance, on `router`'s loop: one classic subscriber on a
    /// standalone or Sentinel deployment; in a cluster, per `RedisClusterConfiguration.notifications`
    /// a sharded one (following `router`'s slot map), a classic one, or both. `delegate` makes
    /// each one's delegate.
    public func makeSubscribers(
        router: any RedisRouter,
        logger: Logger,
        delegate: (RedisSubscriber.Framing) -> any RedisSubscriberDelegate
    ) -> [RedisSubscriber] {
        guard case .cluster(let cluster) = self, let clusterRouter = router as? RedisClusterRouter else {
            return [RedisSubscriber(eventLoop: router.eventLoop, configuration: self.subscriberConfiguration, logger: logger, delegate: delegate(.classic))]
        }
        return cluster.notifications.framings.map { framing in
            switch framing {
            case .sharded:
                RedisSubscriber(router: clusterRouter, logger: logger, delegate: delegate(.sharded))
            case .classic:
                RedisSubscriber(eventLoop: router.eventLoop, configuration: self.subscriberConfiguration, logger: logger, delegate: delegate(.classic))
            }
        }
    }
}
