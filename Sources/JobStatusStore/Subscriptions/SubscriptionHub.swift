import JobStatusCore
import Logging
import NIOCore
import RedisWire

/// The instance's subscriptions: one per watched job, however many requests on however many
/// event loops wait on it, fanned out to the loops that watch it.
///
/// Event loops register interest per job (`retain`/`release`, counted per loop); the hub
/// subscribes on the first interest and lets the subscription linger `linger` after the last
/// goes, so a client that asks again at once — the next long poll after an answer, a job list
/// without its finished jobs — finds it still in place instead of paying a subscribe and an
/// unsubscribe per job per request. How a subscription is made, kept and made again after a
/// connection, a slot or a node is lost is the `RedisSubscriber`'s (one per framing: classic, or
/// sharded per shard in a cluster); what the hub keeps is whose it is. Every announced version
/// goes into the `JobVersionBook`.
final class SubscriptionHub: SubscriptionSource {
    /// What a loop is told about one of the jobs it watches.
    enum Delivery: Sendable {
        /// A write was published: read it.
        case changed(String)
        /// The subscription was lost and is back: writes made meanwhile were published to nobody,
        /// so read once (when the loop's own connection is ready).
        case resumed(String)
        /// The subscription was lost for good: the watches of the job are over.
        case broken(String)
    }

    let eventLoop: any EventLoop
    private let state: NIOLoopBound<HubState>

    /// How long a subscription nobody waits on is kept.
    static let linger = TimeAmount.seconds(2)

    init(
        eventLoop: any EventLoop,
        deployment: RedisDeployment,
        routers: RedisRouterGroup,
        book: JobVersionBook,
        logger: Logger,
        deliver: @escaping @Sendable (any EventLoop, Delivery) -> Void
    ) async {
        self.eventLoop = eventLoop
        self.state = try! await eventLoop.submit {
            let state = HubState(eventLoop: eventLoop, book: book, logger: logger, deliver: deliver)
            state.planes = deployment.makeSubscribers(router: routers.router(on: eventLoop), logger: logger) { framing in
                PlaneDelegate(hub: state, framing: framing)
            }
            return NIOLoopBound(state, eventLoop: eventLoop)
        }.get()
        try? await eventLoop.flatSubmit {
            EventLoopFuture.andAllComplete(self.state.value.planes.map { $0.start() }, on: eventLoop)
        }.get()
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

/// Reports one subscriber's events to the hub, with which framing they come from.
private final class PlaneDelegate: RedisSubscriberDelegate {
    private unowned let hub: HubState
    private let framing: RedisSubscriber.Framing

    init(hub: HubState, framing: RedisSubscriber.Framing) {
        self.hub = hub
        self.framing = framing
    }

    func subscription(of channel: String, _ action: SubscriptionStateMachine.Action) {
        self.hub.subscription(of: channel, action, framing: self.framing)
    }

    func message(on channel: RedisReply, _ payload: RedisReply) {
        self.hub.message(on: channel, payload)
    }
}

/// The hub's state, confined to the hub's event loop.
private final class HubState {
    private struct Watch {
        /// Interest count per event loop.
        var interests: [ObjectIdentifier: (eventLoop: any EventLoop, count: Int)] = [:]
        var waiting: [(eventLoop: any EventLoop, ready: @Sendable (Bool) -> Void)] = []
        /// The framings whose subscription is in place; the watch is ready when every one is.
        var open: Set<RedisSubscriber.Framing> = []
        /// When the last interest went: the subscription lingers until `linger` after it. Nil
        /// while some loop is interested.
        var idleSince: NIODeadline?
    }

    private let eventLoop: any EventLoop
    private let book: JobVersionBook
    private let logger: Logger
    private let deliver: @Sendable (any EventLoop, SubscriptionHub.Delivery) -> Void
    var planes: [RedisSubscriber] = []
    private var watches: [String: Watch] = [:]
    /// The next sweep of lingering subscriptions, while there are any.
    private var sweep: Scheduled<Void>?

    init(
        eventLoop: any EventLoop,
        book: JobVersionBook,
        logger: Logger,
        deliver: @escaping @Sendable (any EventLoop, SubscriptionHub.Delivery) -> Void
    ) {
        self.eventLoop = eventLoop
        self.book = book
        self.logger = logger
        self.deliver = deliver
    }

    var subscriptionCount: Int { self.watches.count }

    func shutdown() -> EventLoopFuture<Void> {
        self.sweep?.cancel()
        self.sweep = nil
        return EventLoopFuture.andAllComplete(self.planes.map { $0.shutdown() }, on: self.eventLoop)
    }

    func retain(_ key: String, from eventLoop: any EventLoop, ready: @escaping @Sendable (Bool) -> Void) {
        // Changed in place: a copy of the watch would copy its tables.
        let firstInterest = self.watches[key, default: Watch()].interests.isEmpty
        self.watches[key, default: Watch()].interests[ObjectIdentifier(eventLoop), default: (eventLoop, 0)].count += 1
        self.watches[key]!.idleSince = nil
        self.watches[key]!.waiting.append((eventLoop, ready))
        guard firstInterest else {
            self.settleIfOpen(key)
            return
        }
        for plane in self.planes {
            plane.retain(key)
        }
    }

    func release(_ key: String, from eventLoop: any EventLoop) {
        let loopID = ObjectIdentifier(eventLoop)
        guard let interest = self.watches[key]?.interests[loopID] else { return }
        if interest.count > 1 {
            self.watches[key]!.interests[loopID]!.count -= 1
            return
        }
        self.watches[key]!.interests[loopID] = nil
        guard self.watches[key]!.interests.isEmpty else { return }
        let now = NIODeadline.now()
        self.watches[key]?.idleSince = now
        for plane in self.planes {
            plane.release(key)
        }
        self.scheduleSweep(at: now + SubscriptionHub.linger)
    }

    // MARK: - The subscribers' events

    func subscription(of key: String, _ action: SubscriptionStateMachine.Action, framing: RedisSubscriber.Framing) {
        guard var watch = self.watches[key] else { return }
        switch action {
        case .opened(_, let resumed):
            let wasOpen = watch.open.count == self.planes.count
            watch.open.insert(framing)
            self.watches[key] = watch
            guard watch.open.count == self.planes.count else { return }
            if !wasOpen {
                // A new stretch of subscription (not a lingering one wanted again).
                self.book.opened(key)
            }
            self.settleIfOpen(key)
            if resumed != nil {
                self.tellInterested(watch, .resumed(key))
            }
        case .interrupted:
            watch.open.remove(framing)
            self.watches[key] = watch
            self.book.closed(key)
        case .failed(let watchBroken):
            self.watches[key] = nil
            self.book.closed(key)
            for plane in self.planes where plane.framing != framing {
                plane.release(key)
                plane.expire(key)
            }
            for (loop, ready) in watch.waiting {
                loop.execute { ready(false) }
            }
            if watchBroken {
                self.tellInterested(watch, .broken(key))
            }
        case .forget:
            watch.open.remove(framing)
            self.watches[key] = watch
            self.book.closed(key)
            if watch.interests.isEmpty && self.planes.allSatisfy({ $0.state(of: key) == .closed }) {
                self.watches[key] = nil
            }
        case .none, .subscribe, .unsubscribe:
            break
        }
    }

    func message(on channel: RedisReply, _ payload: RedisReply) {
        let key = channel.string
        guard let watch = self.watches[key], !watch.open.isEmpty else { return }
        if let version = Self.version(announcedBy: payload) {
            self.book.announced(key, version: version)
        }
        self.tellInterested(watch, .changed(key))
    }

    /// The version a notification (`<version> <status>`) announces, read as a record's is.
    private static func version(announcedBy payload: RedisReply) -> Int64? {
        let bytes = payload.bytes
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        return EntityTag(version: UnsafeRawBufferPointer(rebasing: bytes[..<space]), createdAt: nil)?.versionNumber
    }

    private func settleIfOpen(_ key: String) {
        guard let watch = self.watches[key], watch.open.count == self.planes.count, !watch.waiting.isEmpty else { return }
        let waiting = watch.waiting
        self.watches[key]!.waiting = []
        for (loop, ready) in waiting {
            loop.execute { ready(true) }
        }
    }

    private func tellInterested(_ watch: Watch, _ delivery: SubscriptionHub.Delivery) {
        for (eventLoop, _) in watch.interests.values {
            self.deliver(eventLoop, delivery)
        }
    }

    // MARK: - The linger

    private func scheduleSweep(at deadline: NIODeadline) {
        guard self.sweep == nil else { return }
        self.sweep = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.sweep = nil
            self.expireLingering()
        }
    }

    /// Ends what nobody waited on for `linger`; sweeps again when the next lingering one is due
    /// (or one still being subscribed can be ended).
    private func expireLingering() {
        let expired = NIODeadline.now() - SubscriptionHub.linger
        var nextDue: NIODeadline?
        for (key, watch) in self.watches {
            guard let idleSince = watch.idleSince else { continue }
            guard idleSince <= expired else {
                nextDue = min(nextDue ?? idleSince, idleSince)
                continue
            }
            for plane in self.planes {
                plane.expire(key)
            }
            if self.planes.allSatisfy({ $0.state(of: key) == .closed || Self.isClosing($0.state(of: key)) }) {
                self.watches[key] = nil
                self.book.closed(key)
            } else {
                // Still being subscribed: ended at the next sweep.
                nextDue = min(nextDue ?? idleSince, NIODeadline.now())
            }
        }
        if let nextDue {
            self.scheduleSweep(at: nextDue + SubscriptionHub.linger)
        }
    }

    private static func isClosing(_ state: SubscriptionStateMachine.State) -> Bool {
        if case .closing = state { return true }
        return false
    }
}
