import Logging
import NIOCore
import RedisWire

/// The instance's one subscriber connection, and one subscription per job that has watchers.
///
/// Event loops register interest per job (`retain`/`release`, counted per loop); the hub
/// subscribes on the first interest and unsubscribes `linger` after the last goes, so waiting costs
/// Redis one subscription per watched job however many requests wait on it, and a client that
/// asks again at once — the next long poll after an answer, a job list without its finished
/// jobs — finds its subscriptions still in place instead of paying a SUBSCRIBE and an UNSUBSCRIBE
/// per job per request. Published changes are
/// forwarded to the loops that watch the job. If the connection drops, all subscriptions are
/// forgotten, and once it is back every loop that watched something is told to re-read it all:
/// after a failover that read goes to the new primary, which the subscriber follows, rather than
/// to the server that just went away.
final class SubscriptionHub: SubscriptionSource {
    /// Delivers a change to a loop: the job key, or nil for "everything you watch".
    typealias Delivery = @Sendable (_ eventLoop: any EventLoop, _ key: String?) -> Void

    let eventLoop: any EventLoop
    private let state: NIOLoopBound<HubState>

    /// How long a subscription nobody waits on is kept.
    static let linger = TimeAmount.seconds(2)

    init(eventLoop: any EventLoop, configuration: RedisConnectionConfiguration, logger: Logger, deliver: @escaping Delivery) async {
        self.eventLoop = eventLoop
        self.state = try! await eventLoop.submit {
            NIOLoopBound(HubState(eventLoop: eventLoop, configuration: configuration, logger: logger, deliver: deliver), eventLoop: eventLoop)
        }.get()
        try? await eventLoop.flatSubmit { self.state.value.start() }.get()
    }

    /// Adds one interest of `eventLoop` in `key`; `ready` runs on `eventLoop` once the
    /// subscription is confirmed (true) or cannot be made (false).
    func retain(_ key: String, from eventLoop: any EventLoop, ready: @escaping @Sendable (Bool) -> Void) {
        self.eventLoop.execute {
            self.state.value.retain(key, from: eventLoop, ready: ready)
        }
    }

    /// Drops one interest of `eventLoop` in `key`.
    func release(_ key: String, from eventLoop: any EventLoop) {
        self.eventLoop.execute {
            self.state.value.release(key, from: eventLoop)
        }
    }

    /// The number of jobs subscribed to, lingering ones included (for tests and diagnostics).
    func subscriptionCount() async -> Int {
        (try? await self.eventLoop.submit { self.state.value.subscriptionCount }.get()) ?? 0
    }

    func shutdown() async {
        try? await self.eventLoop.flatSubmit { self.state.value.shutdown() }.get()
    }
}

/// The hub's state, confined to the hub's event loop.
private final class HubState: RedisPushReceiver {
    private struct Subscription {
        /// Which `SUBSCRIBE` this is: the reply to an earlier one (sent before the job was released
        /// and retained again) must not confirm this one before Redis has it.
        let attempt: UInt64
        var confirmed = false
        /// Interest count per event loop.
        var interests: [ObjectIdentifier: (eventLoop: any EventLoop, count: Int)] = [:]
        var waiting: [(eventLoop: any EventLoop, ready: @Sendable (Bool) -> Void)] = []
        /// When the last interest went: the subscription lingers until `linger` after it. Nil
        /// while some loop is interested.
        var idleSince: NIODeadline?
    }

    private let eventLoop: any EventLoop
    private let logger: Logger
    private let deliver: SubscriptionHub.Delivery
    private var connection: RedisConnection!
    private var subscriptions: [String: Subscription] = [:]
    private var attempts: UInt64 = 0
    /// Loops whose watches died with the connection, told when it is back.
    private var loopsToTell: [ObjectIdentifier: any EventLoop] = [:]
    /// The next sweep of lingering subscriptions, while there are any.
    private var sweep: Scheduled<Void>?

    init(eventLoop: any EventLoop, configuration: RedisConnectionConfiguration, logger: Logger, deliver: @escaping SubscriptionHub.Delivery) {
        self.eventLoop = eventLoop
        self.logger = logger
        self.deliver = deliver
        self.connection = RedisConnection(eventLoop: eventLoop, configuration: configuration, logger: logger, pushReceiver: self)
        self.connection.onReadinessChange = { [unowned self] ready in
            if ready { self.reconnected() } else { self.connectionLost() }
        }
    }

    var subscriptionCount: Int { self.subscriptions.count }

    func start() -> EventLoopFuture<Void> {
        self.connection.start().recover { _ in }
    }

    func shutdown() -> EventLoopFuture<Void> {
        self.sweep?.cancel()
        self.sweep = nil
        return self.connection.shutdown()
    }

    func retain(_ key: String, from eventLoop: any EventLoop, ready: @escaping @Sendable (Bool) -> Void) {
        let loopID = ObjectIdentifier(eventLoop)
        if var subscription = self.subscriptions[key] {
            subscription.interests[loopID, default: (eventLoop, 0)].count += 1
            subscription.idleSince = nil
            if subscription.confirmed {
                eventLoop.execute { ready(true) }
            } else {
                subscription.waiting.append((eventLoop, ready))
            }
            self.subscriptions[key] = subscription
            return
        }
        self.attempts += 1
        let attempt = self.attempts
        var subscription = Subscription(attempt: attempt)
        subscription.interests[loopID] = (eventLoop, 1)
        subscription.waiting.append((eventLoop, ready))
        self.subscriptions[key] = subscription
        self.connection.send(["SUBSCRIBE", key]).assumeIsolated().whenComplete { result in
            guard var subscription = self.subscriptions[key], subscription.attempt == attempt, !subscription.confirmed else { return }
            let waiting = subscription.waiting
            subscription.waiting = []
            switch result {
            case .success:
                subscription.confirmed = true
                self.subscriptions[key] = subscription
            case .failure(let error):
                self.logger.debug("cannot subscribe", metadata: ["key": "\(key)", "error": "\(error)"])
                self.subscriptions[key] = nil
            }
            let subscribed = subscription.confirmed
            for (loop, ready) in waiting {
                loop.execute { ready(subscribed) }
            }
        }
    }

    func release(_ key: String, from eventLoop: any EventLoop) {
        let loopID = ObjectIdentifier(eventLoop)
        guard var subscription = self.subscriptions[key], let interest = subscription.interests[loopID] else { return }
        if interest.count > 1 {
            subscription.interests[loopID]!.count -= 1
            self.subscriptions[key] = subscription
            return
        }
        subscription.interests[loopID] = nil
        if subscription.interests.isEmpty {
            let now = NIODeadline.now()
            subscription.idleSince = now
            self.scheduleSweep(at: now + SubscriptionHub.linger)
        }
        self.subscriptions[key] = subscription
    }

    private func scheduleSweep(at deadline: NIODeadline) {
        guard self.sweep == nil else { return }
        self.sweep = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.sweep = nil
            self.unsubscribeLingering()
        }
    }

    /// Unsubscribes what nobody waited on for `linger`; sweeps again when the next lingering one
    /// is due.
    private func unsubscribeLingering() {
        let expired = NIODeadline.now() - SubscriptionHub.linger
        var nextDue: NIODeadline?
        for (key, subscription) in self.subscriptions {
            guard let idleSince = subscription.idleSince else { continue }
            guard idleSince <= expired else {
                nextDue = min(nextDue ?? idleSince, idleSince)
                continue
            }
            self.subscriptions[key] = nil
            if self.connection.isReady {
                _ = self.connection.send(["UNSUBSCRIBE", key])
            }
        }
        if let nextDue {
            self.scheduleSweep(at: nextDue + SubscriptionHub.linger)
        }
    }

    func receive(_ event: PubSubEvent) {
        // Classic subscriptions end only when asked: an unsubscription is only ever a reply here.
        guard case .message(let channel, _, _) = event else { return }
        let key = channel.string
        guard let subscription = self.subscriptions[key], subscription.confirmed else { return }
        for (eventLoop, _) in subscription.interests.values {
            self.deliver(eventLoop, key)
        }
    }

    /// Subscriptions die with the connection: nothing is remembered but which loops to tell.
    /// Subscriptions being made fail now (their requests answer from a read).
    private func connectionLost() {
        let subscriptions = self.subscriptions
        self.subscriptions = [:]
        for subscription in subscriptions.values {
            for (loopID, interest) in subscription.interests {
                self.loopsToTell[loopID] = interest.eventLoop
            }
            for (loop, ready) in subscription.waiting {
                loop.execute { ready(false) }
            }
        }
        if !self.loopsToTell.isEmpty {
            self.logger.warning("lost the subscriber connection; waiting requests re-read their jobs once it is back")
        }
    }

    /// Back (on the new primary, after a failover): every watcher re-reads and watches again.
    private func reconnected() {
        let loops = self.loopsToTell
        self.loopsToTell = [:]
        for eventLoop in loops.values {
            self.deliver(eventLoop, nil)
        }
    }
}
