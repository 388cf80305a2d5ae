import NIOCore

/// One connection of a `RedisSubscriber`: to the one server of a standalone or Sentinel
/// deployment, or to one node of a cluster. Routes the pushes it receives, and its readiness,
/// to the subscriber, tagged with where they came from.
final class SubscriberLink: RedisPushReceiver {
    /// Where a link goes.
    enum Place: Hashable, CustomStringConvertible {
        /// The deployment's one subscriber connection (it follows a Sentinel master itself).
        case single
        case node(RedisNode)

        var description: String {
            switch self {
            case .single: "single"
            case .node(let node): node.description
            }
        }
    }

    let place: Place
    private(set) var connection: RedisConnection!
    /// The first connection attempt while it is under way.
    private var firstAttempt: EventLoopFuture<Void>?
    private unowned let subscriber: RedisSubscriber

    init(place: Place, configuration: RedisConnectionConfiguration, subscriber: RedisSubscriber) {
        self.place = place
        self.subscriber = subscriber
        self.connection = RedisConnection(
            eventLoop: subscriber.eventLoop,
            configuration: configuration,
            logger: subscriber.logger,
            pushReceiver: self
        )
        self.connection.onReadinessChange = { [unowned self] ready in
            self.subscriber.link(self, ready: ready)
        }
    }

    /// Starts connecting; the future settles with the first attempt.
    func start() -> EventLoopFuture<Void> {
        let attempt = self.connection.start()
        self.firstAttempt = attempt
        attempt.assumeIsolated().whenComplete { _ in self.firstAttempt = nil }
        return attempt
    }

    var isReady: Bool { self.connection.isReady }

    /// Known to be down: its first attempt is over and it is not ready.
    var isDown: Bool { self.firstAttempt == nil && !self.connection.isReady }

    /// Runs `body` once the first attempt settled (at once when it has).
    func whenSettled(_ body: @escaping () -> Void) {
        guard let attempt = self.firstAttempt else { return body() }
        attempt.assumeIsolated().whenComplete { _ in body() }
    }

    func receive(_ event: PubSubEvent) {
        self.subscriber.received(event, on: self)
    }
}
