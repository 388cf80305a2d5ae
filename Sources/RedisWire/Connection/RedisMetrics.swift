import CoreMetrics

/// What RedisWire reports through swift-metrics (no-ops until a metrics backend is bootstrapped,
/// which must happen before the first command).
public enum RedisMetrics {
    /// From a command being queued to its reply being parsed.
    static let commandDuration = Timer(label: "jobstatus_redis_command_duration_seconds")
    static let reconnects = Counter(label: "jobstatus_redis_reconnects_total")
    /// Heartbeat `PING`s of idle connections that got no reply in time (the connection is reset).
    static let heartbeatFailures = Counter(label: "jobstatus_redis_heartbeat_failures_total")
    /// Reads a replica failed fast (not connected, lost, `LOADING`) and the primary answered instead.
    static let replicaFallbacks = Counter(label: "jobstatus_redis_replica_fallbacks_total")

    /// Sharded Pub/Sub messages (`smessage`) received.
    static let shardedMessages = Counter(label: "jobstatus_redis_sharded_messages_total")
    private static let resubscriptionCounters = Dictionary(
        uniqueKeysWithValues: SubscriptionStateMachine.Cause.allCases.map {
            ($0, Counter(label: "jobstatus_redis_resubscriptions_total", dimensions: [("cause", $0.rawValue)]))
        }
    )

    /// Subscriptions made again after they were lost, by why they were lost.
    static func resubscriptions(_ cause: SubscriptionStateMachine.Cause) -> Counter {
        self.resubscriptionCounters[cause]!
    }

    /// The subscriptions Redis holds for this instance on `node` (`host:port`, or "single").
    static func subscriptions(on node: String) -> Gauge {
        Gauge(label: "jobstatus_redis_subscriptions", dimensions: [("node", node)])
    }

    private static let timeouts = Counter(label: "jobstatus_redis_errors_total", dimensions: [("kind", "timeout")])
    private static let connectionLosses = Counter(label: "jobstatus_redis_errors_total", dimensions: [("kind", "connection_lost")])
    private static let protocolViolations = Counter(label: "jobstatus_redis_errors_total", dimensions: [("kind", "protocol")])
    private static let connectFailures = Counter(label: "jobstatus_redis_errors_total", dimensions: [("kind", "connect")])

    /// Makes every metric now, so that each is in the first scrape (at zero) rather than after
    /// its first event: a rule or a dashboard can then tell "none" from "not exported".
    public static func register() {
        _ = (self.commandDuration, self.reconnects, self.heartbeatFailures, self.replicaFallbacks)
        _ = (self.timeouts, self.connectionLosses, self.protocolViolations, self.connectFailures)
        _ = (self.shardedMessages, self.resubscriptionCounters)
    }

    /// Counts a failure that reset a connection or prevented one.
    static func count(_ error: RedisError) {
        switch error {
        case .timeout: self.timeouts.increment()
        case .connectionLost: self.connectionLosses.increment()
        case .protocolViolation: self.protocolViolations.increment()
        case .unavailable, .server: self.connectFailures.increment()
        case .overloaded: break
        }
    }
}
