public import Logging
public import NIOCore

/// Sends each command to the node of a Redis Cluster that serves its key.
///
/// Keys map to one of 16384 hash slots (CRC16, `{hash tags}` honoured); the slot map comes from
/// `CLUSTER SLOTS`. A `MOVED` redirection updates the slot, re-sends the command and refreshes
/// the whole map; an `ASK` redirection re-sends it once, after `ASKING`, without touching the
/// map; redirections per command are capped. A node that fails makes the router refresh the map
/// (which is how a failover is noticed). One connection per node, owned by this event loop;
/// commands to one node are pipelined like on a standalone connection.
public final class RedisClusterRouter: RedisRouter {
    public let eventLoop: any EventLoop
    private let configuration: RedisClusterConfiguration
    private let logger: Logger
    private var slotMap: ClusterSlotMap?
    private var connections: [RedisNode: RedisConnection] = [:]
    /// The first connection attempt to each node while it is under way, for those that want to
    /// wait for it.
    private var firstAttempts: [RedisNode: EventLoopFuture<Void>] = [:]
    private var refreshes = SlotRefreshStateMachine(
        minimumInterval: RedisClusterRouter.refreshInterval,
        periodicInterval: RedisClusterRouter.periodicRefresh,
        degradedInterval: RedisClusterRouter.degradedRefresh
    )
    /// The timers `refreshes` arms: the next refresh asked for, and the periodic one.
    private var refreshTimer: Scheduled<Void>?
    private var periodicTimer: Scheduled<Void>?
    private var replicas = ReplicaRotation()
    private let ignored = IgnoredReply()
    /// Told after every slot map read (the loop's `RedisSubscriber` places its channels by it).
    var onSlotMapRead: (() -> Void)?

    /// The least time between two refreshes of the slot map.
    static let refreshInterval = TimeAmount.milliseconds(100)
    /// How often the map is refreshed when nothing asks for it: replicas that finish their first
    /// sync, or nodes added to the cluster, never redirect anyone, so they are found this way.
    static let periodicRefresh = TimeAmount.seconds(10)
    /// How often the map is read while it names a primary that cannot be reached (until a
    /// failover replaces it, or it is back).
    static let degradedRefresh = TimeAmount.milliseconds(500)

    var maximumRedirections: Int { self.configuration.maximumRedirections }

    public init(eventLoop: any EventLoop, configuration: RedisClusterConfiguration, logger: Logger) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
    }

    public var isReady: Bool {
        guard let slotMap = self.slotMap else { return false }
        return slotMap.shards.allSatisfy { self.connections[$0.primary]?.isReady ?? false }
    }

    public func start() -> EventLoopFuture<Void> {
        guard case .startRefresh = self.refreshes.refreshNow(now: .now()) else { return self.eventLoop.makeSucceededVoidFuture() }
        return self.readSlotMap()
    }

    public func shutdown() -> EventLoopFuture<Void> {
        self.perform(self.refreshes.shutdown())
        let closing = self.connections.values.map { $0.shutdown() }
        self.connections = [:]
        self.firstAttempts = [:]
        return EventLoopFuture.andAllComplete(closing, on: self.eventLoop)
    }

    public func send(
        key: UnsafeRawBufferPointer,
        readOnly: Bool,
        to receiver: any RedisReplyReceiver,
        encode: (inout ByteBuffer) -> Void
    ) {
        let slot = HashSlot.slot(for: key)
        guard let shard = self.slotMap?.shard(for: slot) else {
            self.scheduleRefresh()
            receiver.fail(.unavailable("no node of the cluster serves slot \(slot) yet"))
            return
        }
        var bytes = ByteBufferAllocator().buffer(capacity: 128)
        encode(&bytes)
        let replica = readOnly && self.configuration.readFromReplicas ? self.replicas.next(of: shard.replicas) : nil
        let command = ClusterCommand(router: self, receiver: receiver, slot: slot, readOnly: readOnly, bytes: bytes, replica: replica)
        self.dispatch(command, to: replica ?? shard.primary, asking: false)
    }

    public func send(to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        guard let node = self.slotMap?.shards.first?.primary else {
            self.scheduleRefresh()
            receiver.fail(.unavailable("the cluster's slot map is not known yet"))
            return
        }
        self.connection(to: node).send(to: receiver, encode: encode)
    }

    // MARK: - Placing subscriptions (for RedisSubscriber)

    /// The node a sharded subscription to `slot` goes to: the shard's primary or, when reads go to
    /// replicas and `avoiding` does not rule it out, one of its replicas (the same one for every
    /// channel of a slot, so a migration's `sunsubscribe` comes from one node). Nil while no node
    /// serves the slot.
    func subscriptionNode(forSlot slot: Int, avoiding: (RedisNode) -> Bool) -> RedisNode? {
        guard let shard = self.slotMap?.shard(for: slot) else { return nil }
        if self.configuration.readFromReplicas {
            let usable = shard.replicas.filter { !avoiding($0) }
            if !usable.isEmpty { return usable[slot % usable.count] }
        }
        return shard.primary
    }

    /// A subscription was answered `MOVED`: the slot is patched and the map read again.
    func subscriptionMoved(slot: Int, to node: RedisNode) {
        self.slotMap?.move(slot: slot, to: node)
        self.scheduleRefresh()
    }

    /// A subscriber lost a node: the map is read again (a failover shows there).
    func subscriptionNodeFailed() {
        self.scheduleRefresh()
    }

    /// The connection configuration for a subscriber's link to `node`.
    func subscriberConfiguration(for node: RedisNode) -> RedisConnectionConfiguration {
        var configuration = self.configuration.connection(to: node)
        configuration.readOnly = false
        return configuration
    }

    // MARK: - Redirections and failures (from ClusterCommand)

    func moved(_ command: ClusterCommand, slot: Int, to node: RedisNode) {
        self.slotMap?.move(slot: slot, to: node)
        self.scheduleRefresh()
        self.dispatch(command, to: node, asking: false)
    }

    func ask(_ command: ClusterCommand, at node: RedisNode) {
        self.dispatch(command, to: node, asking: true)
    }

    func nodeFailed() {
        self.scheduleRefresh()
    }

    /// A read on `replica` failed: skip the replica for a while and read from the primary.
    func replicaFailed(_ command: ClusterCommand, replica: RedisNode, reason: String) {
        if self.replicas.skip(replica) {
            self.logger.notice("a replica failed a read; reading from the primary instead", metadata: ["replica": "\(replica)", "error": "\(reason)"])
        }
        self.scheduleRefresh()
        guard let primary = self.slotMap?.shard(for: command.slot)?.primary else {
            command.receiver.fail(.unavailable("no node of the cluster serves slot \(command.slot)"))
            return
        }
        self.dispatch(command, to: primary, asking: false)
    }

    private func dispatch(_ command: ClusterCommand, to node: RedisNode, asking: Bool) {
        let connection = self.connection(to: node)
        guard self.firstAttempts[node] == nil else {
            // A node met for the first time (a MOVED or ASK to a node added to the cluster): the
            // command waits for the first attempt rather than failing at once.
            self.settledConnection(to: node).assumeIsolated().whenSuccess { self.send(command, on: $0, asking: asking) }
            return
        }
        self.send(command, on: connection, asking: asking)
    }

    private func send(_ command: ClusterCommand, on connection: RedisConnection, asking: Bool) {
        if asking {
            connection.send(to: self.ignored) { RedisCommandEncoder.encode(["ASKING"], into: &$0) }
        }
        let timeout = command.replica.map { _ in ReplicaRotation.readTimeout(commandTimeout: self.configuration.connection.commandTimeout) }
        connection.send(to: command, timeout: timeout) { $0.writeImmutableBuffer(command.bytes) }
    }

    private func connection(to node: RedisNode) -> RedisConnection {
        if let existing = self.connections[node] { return existing }
        let connection = RedisConnection(
            eventLoop: self.eventLoop,
            configuration: self.configuration.connection(to: node),
            logger: self.logger
        )
        self.connections[node] = connection
        // A node lost may be a failover under way: the map shows it once it is done.
        connection.onReadinessChange = { [unowned self] ready in
            if !ready { self.scheduleRefresh() }
        }
        let attempt = connection.start()
        self.firstAttempts[node] = attempt
        attempt.assumeIsolated().whenComplete { _ in
            if self.firstAttempts[node] === attempt { self.firstAttempts[node] = nil }
        }
        return connection
    }

    /// The connection to `node` once its first attempt settled.
    private func settledConnection(to node: RedisNode) -> EventLoopFuture<RedisConnection> {
        let connection = self.connection(to: node)
        let attempt = self.firstAttempts[node] ?? self.eventLoop.makeSucceededVoidFuture()
        return attempt.recover { _ in }.assumeIsolated().map { connection }.nonisolated()
    }

    // MARK: - The slot map

    private func scheduleRefresh() {
        self.perform(self.refreshes.refreshRequested(now: .now()))
    }

    /// Carries out what `refreshes` decided.
    private func perform(_ action: SlotRefreshStateMachine.Action) {
        switch action {
        case .none:
            break
        case .startRefresh:
            _ = self.readSlotMap()
        case .scheduleRefresh(let delay):
            self.armRefreshTimer(in: delay)
        case .rearm(let periodic, let refreshIn):
            self.periodicTimer?.cancel()
            self.periodicTimer = self.eventLoop.assumeIsolated().scheduleTask(in: periodic) {
                self.periodicTimer = nil
                self.perform(self.refreshes.refreshNow(now: .now()))
            }
            if let refreshIn { self.armRefreshTimer(in: refreshIn) }
        case .cancelTimers:
            self.refreshTimer?.cancel()
            self.refreshTimer = nil
            self.periodicTimer?.cancel()
            self.periodicTimer = nil
        }
    }

    private func armRefreshTimer(in delay: TimeAmount) {
        self.refreshTimer?.cancel()
        self.refreshTimer = self.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.refreshTimer = nil
            self.perform(self.refreshes.scheduledFired(now: .now()))
        }
    }

    /// Asks the known nodes (ready ones first), then the seeds, for `CLUSTER SLOTS` until one
    /// answers; then connects to every node of the new map and waits for the first attempts.
    private func readSlotMap() -> EventLoopFuture<Void> {
        let known = self.slotMap?.nodes ?? []
        let readyFirst = known.filter { self.connections[$0]?.isReady ?? false } + known.filter { !(self.connections[$0]?.isReady ?? false) }
        let seeds = self.configuration.seeds.map { RedisNode(host: $0.host, port: $0.port) }
        var candidates: [RedisNode] = []
        for node in readyFirst + seeds where !candidates.contains(node) {
            candidates.append(node)
        }
        return self.askForSlots(candidates[...], lastError: nil)
            .assumeIsolated()
            .flatMap { map -> EventLoopFuture<Void> in
                self.slotMap = map
                for node in self.connections.keys where !map.nodes.contains(node) {
                    self.firstAttempts[node] = nil
                    _ = self.connections.removeValue(forKey: node)?.shutdown()
                }
                let attempts = map.nodes.map { self.settledConnection(to: $0).map { _ in } }
                return EventLoopFuture.andAllComplete(attempts, on: self.eventLoop)
            }
            .always { result in
                if case .failure(let error) = result {
                    self.logger.warning("cannot read the cluster's slot map", metadata: ["error": "\(error)"])
                }
                self.perform(self.refreshes.finished(succeeded: (try? result.get()) != nil, degraded: !self.isReady, now: .now()))
                if case .success = result { self.onSlotMapRead?() }
            }
            .nonisolated()
    }

    private func askForSlots(_ candidates: ArraySlice<RedisNode>, lastError: (any Error)?) -> EventLoopFuture<ClusterSlotMap> {
        guard let node = candidates.first, !self.refreshes.isShutDown else {
            return self.eventLoop.makeFailedFuture(lastError ?? RedisError.unavailable("no cluster node to ask"))
        }
        let asked = self.settledConnection(to: node).assumeIsolated().flatMap { connection in
            connection.send(["CLUSTER", "SLOTS"])
        }.nonisolated()
        return asked.assumeIsolated().flatMapThrowing { reply -> ClusterSlotMap in
            guard let map = ClusterSlotMap(clusterSlots: reply, defaultHost: node.host) else {
                throw RedisError.protocolViolation("CLUSTER SLOTS answered \(reply)")
            }
            return map
        }
        .flatMapError { error in
            self.askForSlots(candidates.dropFirst(), lastError: error)
        }
        .nonisolated()
    }
}
