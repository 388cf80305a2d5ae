import CoreMetrics
public import Logging
public import NIOCore

/// Subscriptions to Redis channels, one per channel, carried out from each channel's
/// `SubscriptionStateMachine`.
///
/// Classic framing (`SUBSCRIBE`) uses one connection: in a standalone or Sentinel deployment
/// that is the server every write publishes on. Sharded framing (`SSUBSCRIBE`, Redis 7) places
/// each channel on the shard that owns its slot — on one of its replicas when reads go to
/// replicas — with one connection per node, so a write's notification never leaves its shard and
/// no node holds every front's subscriptions. Where a channel lives is the loop's cluster
/// router's slot map; a `MOVED` reply or a pushed `sunsubscribe` (the slot migrated), and a node
/// lost (a failover), detach the channel until the node now serving it is reachable, and its
/// watchers re-read once it is subscribed again. Confined to one event loop.
public final class RedisSubscriber {
    /// How subscriptions are framed.
    public enum Framing: String, Sendable {
        case classic
        case sharded
    }

    private enum Placement {
        case single(RedisConnectionConfiguration)
        case cluster(RedisClusterRouter)
    }

    private struct Channel {
        var machine = SubscriptionStateMachine()
        /// The link the channel is subscribed on (or is to be); nil while no node serves its slot.
        var place: SubscriberLink.Place?
        /// Where it was when it was lost: re-made elsewhere, it is a failover.
        var lostOn: SubscriberLink.Place?
        /// `MOVED` replies since it was last subscribed: past `maximumRedirections` the next
        /// attempt waits for `relocationInterval` (nodes that disagree cannot make it spin).
        var redirections = 0
    }

    public let eventLoop: any EventLoop
    public let framing: Framing
    let logger: Logger
    private let placement: Placement
    private let delegate: any RedisSubscriberDelegate
    private var channels: [String: Channel] = [:]
    private var links: [SubscriberLink.Place: SubscriberLink] = [:]
    /// Subscriptions held per link, and the gauge `/metrics` shows them in (made once per link:
    /// making a metric looks it up in the backend under a lock).
    private var held: [SubscriberLink.Place: (count: Int, gauge: Gauge)] = [:]
    /// While channels are detached: the next look for where they now live.
    private var relocation: Scheduled<Void>?
    private var isShutDown = false

    /// How often detached channels look for their node again (the slot map is read again each time).
    static let relocationInterval = TimeAmount.milliseconds(250)
    /// The most `MOVED` replies a channel follows at once.
    static let maximumRedirections = 5

    /// Classic framing on one connection; call on `eventLoop`.
    public init(eventLoop: any EventLoop, configuration: RedisConnectionConfiguration, logger: Logger, delegate: any RedisSubscriberDelegate) {
        self.eventLoop = eventLoop
        self.framing = .classic
        self.placement = .single(configuration)
        self.logger = logger
        self.delegate = delegate
    }

    /// Sharded framing on the nodes of `router`'s cluster; call on the router's loop (the
    /// subscriber follows its slot map).
    public init(router: RedisClusterRouter, logger: Logger, delegate: any RedisSubscriberDelegate) {
        self.eventLoop = router.eventLoop
        self.framing = .sharded
        self.placement = .cluster(router)
        self.logger = logger
        self.delegate = delegate
    }

    /// Connects (the single link; a cluster's links open as channels need them). The future
    /// settles with the first attempt; the connections keep retrying until `shutdown`.
    public func start() -> EventLoopFuture<Void> {
        switch self.placement {
        case .single:
            return self.link(to: .single).start().recover { _ in }
        case .cluster(let router):
            router.onSlotMapRead = { [weak self] in self?.slotMapRead() }
            return self.eventLoop.makeSucceededVoidFuture()
        }
    }

    public func shutdown() -> EventLoopFuture<Void> {
        self.isShutDown = true
        self.relocation?.cancel()
        self.relocation = nil
        if case .cluster(let router) = self.placement { router.onSlotMapRead = nil }
        let links = self.links.values
        self.links = [:]
        self.channels = [:]
        return EventLoopFuture.andAllComplete(links.map { $0.connection.shutdown() }, on: self.eventLoop)
    }

    /// Someone waits on `channel`: subscribe (or keep the subscription). `opened` or `failed`
    /// follows, possibly during this call.
    public func retain(_ channel: String) {
        guard !self.isShutDown else {
            self.delegate.subscription(of: channel, .failed(watchBroken: false))
            return
        }
        if self.channels[channel] == nil {
            self.channels[channel] = Channel(place: self.place(channel))
        }
        self.update(channel) { $0.retain() }
    }

    /// Nobody waits on `channel` any more; the subscription lingers until `expire`.
    public func release(_ channel: String) {
        self.update(channel) { $0.release() }
    }

    /// The linger of `channel` is over: unsubscribe unless someone wants it again.
    public func expire(_ channel: String) {
        self.update(channel) { $0.expire() }
    }

    /// The state of `channel`'s subscription (closed when unknown).
    public func state(of channel: String) -> SubscriptionStateMachine.State {
        self.channels[channel]?.machine.state ?? .closed
    }

    /// The subscriptions Redis holds, per node (`host:port`; "single" for the one connection).
    public var subscriptionsPerNode: [String: Int] {
        Dictionary(uniqueKeysWithValues: self.held.filter { $0.value.count > 0 }.map { ($0.key.description, $0.value.count) })
    }

    // MARK: - Carrying out the machine's actions

    private func update(_ name: String, _ event: (inout SubscriptionStateMachine) -> SubscriptionStateMachine.Action) {
        guard var channel = self.channels[name] else { return }
        let wasHeld = channel.machine.isHeld
        let action = event(&channel.machine)
        if case .interrupted = action {
            channel.lostOn = channel.place
        }
        self.channels[name] = channel
        self.count(channel.place, from: wasHeld, to: channel.machine.isHeld)
        switch action {
        case .none:
            break
        case .subscribe(let generation):
            self.logger.debug("subscribing", metadata: ["channel": "\(name)", "node": "\(channel.place.map { "\($0)" } ?? "none")"])
            self.send(.subscribe, name, generation: generation, to: channel.place)
        case .unsubscribe(let generation):
            self.send(.unsubscribe, name, generation: generation, to: channel.place)
        case .opened(_, let resumed):
            self.channels[name]?.redirections = 0
            if let resumed {
                RedisMetrics.resubscriptions(resumed).increment()
                self.logger.debug("subscribed again", metadata: ["channel": "\(name)", "cause": "\(resumed)"])
            }
            self.delegate.subscription(of: name, action)
        case .failed, .forget:
            self.channels[name] = nil
            self.delegate.subscription(of: name, action)
        case .interrupted(let relocate):
            self.delegate.subscription(of: name, action)
            if relocate && channel.redirections <= Self.maximumRedirections {
                // MOVED: the slot map is patched with the node Redis named.
                self.relocate(name)
            } else {
                // Lost, or pushed out of a slot: the node now serving it shows in the next map.
                if case .cluster(let router) = self.placement { router.subscriptionNodeFailed() }
                self.scheduleRelocation()
            }
        }
    }

    private func send(_ kind: SubscriptionReply.Kind, _ name: String, generation: UInt64, to place: SubscriberLink.Place?) {
        guard let place else {
            // No node serves the slot yet: as if the link were down.
            self.scheduleRelocation()
            self.settle(SubscriptionReply(kind, channel: name, generation: generation, subscriber: self), linkDown: "no node serves the channel's slot")
            return
        }
        let link = self.link(to: place)
        let reply = SubscriptionReply(kind, channel: name, generation: generation, subscriber: self)
        link.whenSettled {
            link.connection.send(to: reply) { buffer in
                RedisCommandEncoder.encode([self.command(kind), name], into: &buffer)
            }
        }
    }

    private func command(_ kind: SubscriptionReply.Kind) -> String {
        switch (self.framing, kind) {
        case (.classic, .subscribe): "SUBSCRIBE"
        case (.classic, .unsubscribe): "UNSUBSCRIBE"
        case (.sharded, .subscribe): "SSUBSCRIBE"
        case (.sharded, .unsubscribe): "SUNSUBSCRIBE"
        }
    }

    private func count(_ place: SubscriberLink.Place?, from wasHeld: Bool, to isHeld: Bool) {
        guard let place, wasHeld != isHeld else { return }
        self.count(place, to: (self.held[place]?.count ?? 0) + (isHeld ? 1 : -1))
    }

    private func count(_ place: SubscriberLink.Place, to count: Int) {
        let gauge = self.held[place]?.gauge ?? RedisMetrics.subscriptions(on: place.description)
        self.held[place] = (count, gauge)
        gauge.record(count)
    }

    // MARK: - Replies and pushes

    func replied(_ reply: SubscriptionReply, _ value: RedisReply) {
        guard value.kind == .error else {
            self.update(reply.channel) { machine in
                switch reply.kind {
                case .subscribe: machine.subscribed(generation: reply.generation)
                case .unsubscribe: machine.unsubscribed(generation: reply.generation)
                }
            }
            return
        }
        if case .moved(let slot, let node) = ClusterRedirection(value), case .cluster(let router) = self.placement {
            router.subscriptionMoved(slot: slot, to: node)
            self.channels[reply.channel]?.redirections += 1
            self.update(reply.channel) { $0.subscribeFailed(generation: reply.generation, .moved) }
            return
        }
        self.logger.warning(
            "Redis refused a subscription command",
            metadata: ["channel": "\(reply.channel)", "redis_error": "\(value.string)"]
        )
        self.update(reply.channel) { machine in
            switch reply.kind {
            case .subscribe: machine.subscribeFailed(generation: reply.generation, .refused)
            // The channel is not subscribed any more either way.
            case .unsubscribe: machine.unsubscribed(generation: reply.generation)
            }
        }
    }

    func failed(_ reply: SubscriptionReply, _ error: RedisError) {
        self.settle(reply, linkDown: error.description)
    }

    private func settle(_ reply: SubscriptionReply, linkDown reason: String) {
        self.logger.debug("a subscription command got no reply", metadata: ["channel": "\(reply.channel)", "error": "\(reason)"])
        self.update(reply.channel) { machine in
            switch reply.kind {
            case .subscribe: machine.subscribeFailed(generation: reply.generation, .linkDown)
            case .unsubscribe: machine.unsubscribed(generation: reply.generation, linkDown: true)
            }
        }
    }

    func received(_ event: PubSubEvent, on link: SubscriberLink) {
        switch event {
        case .message(let channel, let payload, let sharded):
            if sharded { RedisMetrics.shardedMessages.increment() }
            self.delegate.message(on: channel, payload)
        case .unsubscribed(let channel, _, true):
            // Pushed: the channel's slot moved to another shard.
            let name = channel.string
            guard self.channels[name]?.place == link.place else { return }
            self.update(name) { $0.revoked() }
        case .unsubscribed, .subscribed, .pong:
            break
        }
    }

    // MARK: - Links and placement

    func link(_ link: SubscriberLink, ready: Bool) {
        guard self.links[link.place] === link else { return }
        let names = self.channels.filter { $0.value.place == link.place }.map(\.key)
        if ready {
            for name in names {
                self.update(name) { [lostOn = self.channels[name]?.lostOn] in $0.attach(nodeChanged: lostOn != link.place) }
            }
            return
        }
        if !names.isEmpty {
            self.logger.warning(
                "lost a subscriber connection; its subscriptions are made again once it is back",
                metadata: ["node": "\(link.place)", "subscriptions": "\(names.count)"]
            )
        }
        for name in names {
            self.update(name) { $0.linkLost() }
        }
        if case .cluster(let router) = self.placement {
            router.subscriptionNodeFailed()
        }
    }

    private func link(to place: SubscriberLink.Place) -> SubscriberLink {
        if let existing = self.links[place] { return existing }
        let configuration: RedisConnectionConfiguration
        switch (self.placement, place) {
        case (.single(let single), _):
            configuration = single
        case (.cluster(let router), .node(let node)):
            configuration = router.subscriberConfiguration(for: node)
        case (.cluster, .single):
            preconditionFailure("a cluster's subscriptions are placed on nodes")
        }
        let link = SubscriberLink(place: place, configuration: configuration, subscriber: self)
        self.links[place] = link
        if case .node = place { _ = link.start() }
        return link
    }

    /// Where `name` is to be subscribed: the one link, or the node serving its slot (a replica
    /// known to be down is passed over).
    private func place(_ name: String) -> SubscriberLink.Place? {
        switch self.placement {
        case .single:
            return .single
        case .cluster(let router):
            let node = router.subscriptionNode(forSlot: HashSlot.slot(for: name)) { self.links[.node($0)]?.isDown ?? false }
            return node.map { .node($0) }
        }
    }

    /// Looks where a detached channel now lives; subscribes there once that link is ready.
    private func relocate(_ name: String) {
        guard var channel = self.channels[name], case .detached = channel.machine.state else { return }
        let place = self.place(name)
        channel.place = place
        self.channels[name] = channel
        guard let place else {
            self.scheduleRelocation()
            return
        }
        let link = self.link(to: place)
        guard link.isReady else {
            // `link(_:ready:)` attaches it when the connection is up; meanwhile keep looking.
            self.scheduleRelocation()
            return
        }
        self.update(name) { $0.attach(nodeChanged: place != channel.lostOn) }
    }

    private func scheduleRelocation() {
        guard self.relocation == nil, !self.isShutDown, case .cluster(let router) = self.placement else { return }
        self.relocation = self.eventLoop.assumeIsolated().scheduleTask(in: Self.relocationInterval) {
            self.relocation = nil
            router.subscriptionNodeFailed()
            self.relocateDetached()
        }
    }

    private func relocateDetached() {
        for (name, channel) in self.channels {
            if case .detached = channel.machine.state { self.relocate(name) }
        }
    }

    /// The router read the slot map: detached channels may live elsewhere now, and links no
    /// channel uses any more close.
    private func slotMapRead() {
        self.relocateDetached()
        let used = Set(self.channels.values.compactMap(\.place))
        for (place, link) in self.links where !used.contains(place) {
            self.links[place] = nil
            self.count(place, to: 0)
            _ = link.connection.shutdown()
        }
    }
}
