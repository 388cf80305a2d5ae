public import Logging
public import NIOCore

/// Redis Sentinel with `redis.read_from: replica`: reads go to the master's replicas in turn,
/// everything else to the master.
///
/// The master connection finds and follows the master by itself (`RedisConnection` with a
/// `sentinel` configuration). The replicas are those `SENTINEL replicas` lists as up and in sync,
/// asked again at start, after every announced master and every `replicaRefresh`; one connection
/// per replica, owned by this event loop. A read a replica fails is retried once on the master
/// (`ReplicaRotation`).
public final class RedisSentinelRouter: RedisRouter {
    public let eventLoop: any EventLoop
    private let configuration: RedisConnectionConfiguration
    private let logger: Logger
    private let primary: RedisConnection
    private var topology = ReplicaTopology()
    /// One connection per replica of `topology`.
    private var replicaConnections: [RedisNode: RedisConnection] = [:]
    private var rotation = ReplicaRotation()
    private var periodic: Scheduled<Void>?
    private var replicaTimeout: TimeAmount { ReplicaRotation.readTimeout(commandTimeout: self.configuration.commandTimeout) }

    /// How often the replicas are asked for when no failover announces a change: a replica that
    /// finished its first sync, or was added, is found this way.
    static let replicaRefresh = TimeAmount.seconds(10)

    public init(eventLoop: any EventLoop, configuration: RedisConnectionConfiguration, logger: Logger) {
        precondition(configuration.sentinel != nil, "a sentinel router needs a sentinel configuration")
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.primary = RedisConnection(eventLoop: eventLoop, configuration: configuration, logger: logger)
    }

    public var isReady: Bool { self.primary.isReady }

    public func start() -> EventLoopFuture<Void> {
        let first = self.primary.start()
        self.primary.discovery?.onPrimaryAnnounced { [unowned self] _ in self.refreshReplicas() }
        self.refreshReplicas()
        return first
    }

    public func shutdown() -> EventLoopFuture<Void> {
        let replicas = self.topology.shutdown()
        self.periodic?.cancel()
        let closing = [self.primary.shutdown()] + replicas.compactMap { self.replicaConnections.removeValue(forKey: $0)?.shutdown() }
        return EventLoopFuture.andAllComplete(closing, on: self.eventLoop)
    }

    public func send(
        key: UnsafeRawBufferPointer,
        readOnly: Bool,
        to receiver: any RedisReplyReceiver,
        encode: (inout ByteBuffer) -> Void
    ) {
        guard readOnly, let replica = self.rotation.next(of: self.topology.replicas), let connection = self.replicaConnections[replica] else {
            self.primary.send(to: receiver, encode: encode)
            return
        }
        var bytes = ByteBufferAllocator().buffer(capacity: 128)
        encode(&bytes)
        let read = SentinelReplicaRead(router: self, receiver: receiver, replica: replica, bytes: bytes)
        connection.send(to: read, timeout: self.replicaTimeout) { $0.writeImmutableBuffer(bytes) }
    }

    public func send(to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        self.primary.send(to: receiver, encode: encode)
    }

    /// A read on `replica` failed: skip the replica for a while and read from the master.
    func replicaFailed(_ read: SentinelReplicaRead, reason: String) {
        if self.rotation.skip(read.replica) {
            self.logger.notice("a replica failed a read; reading from the master instead", metadata: ["replica": "\(read.replica)", "error": "\(reason)"])
        }
        self.primary.send(to: read.receiver) { $0.writeImmutableBuffer(read.bytes) }
    }

    private func refreshReplicas() {
        guard !self.topology.isShutDown, let discovery = self.primary.discovery else { return }
        self.periodic?.cancel()
        self.periodic = self.eventLoop.assumeIsolated().scheduleTask(in: Self.replicaRefresh) { self.refreshReplicas() }
        discovery.replicaAddresses().assumeIsolated().whenComplete { result in
            guard !self.topology.isShutDown else { return }
            switch result {
            case .success(let nodes):
                self.use(nodes)
            case .failure(let error):
                self.logger.warning("cannot ask the sentinels for the replicas; reads keep their current ones", metadata: ["error": "\(error)"])
            }
        }
    }

    private func use(_ nodes: [RedisNode]) {
        let change = self.topology.listed(nodes)
        if change.changed {
            self.logger.info("reading from replicas", metadata: ["replicas": "\(nodes.map(\.description).joined(separator: ","))"])
        }
        for node in change.removed {
            _ = self.replicaConnections.removeValue(forKey: node)?.shutdown()
        }
        for node in change.added {
            var configuration = self.configuration
            configuration.sentinel = nil
            configuration.url.host = node.host
            configuration.url.port = node.port
            configuration.alternateURLs = []
            let connection = RedisConnection(eventLoop: self.eventLoop, configuration: configuration, logger: self.logger)
            self.replicaConnections[node] = connection
            _ = connection.start()
        }
    }
}

/// One read sent to a replica by a `RedisSentinelRouter`: keeps its bytes, so that a replica that
/// fails fast can be replaced by the master within the same request.
final class SentinelReplicaRead: RedisReplyReceiver {
    let receiver: any RedisReplyReceiver
    let replica: RedisNode
    let bytes: ByteBuffer
    private unowned let router: RedisSentinelRouter

    init(router: RedisSentinelRouter, receiver: any RedisReplyReceiver, replica: RedisNode, bytes: ByteBuffer) {
        self.router = router
        self.receiver = receiver
        self.replica = replica
        self.bytes = bytes
    }

    func receive(_ reply: RedisReply) {
        if ReplicaRotation.cannotServe(reply) {
            self.router.replicaFailed(self, reason: reply.string)
        } else {
            self.receiver.receive(reply)
        }
    }

    func fail(_ error: RedisError) {
        self.router.replicaFailed(self, reason: error.description)
    }
}
