import Logging
import NIOConcurrencyHelpers
import NIOCore
import RedisTestSupport
import Testing

@testable import RedisWire

/// A sharded `RedisSubscriber` on two scripted cluster nodes, each serving half of the slots:
/// where channels are placed, and how they follow a migrated slot, a `MOVED` and a lost node.
@Suite("Sharded subscriber on scripted nodes")
struct ShardedSubscriberTests {
    typealias Scripted = ScriptedServerTests

    /// What the subscriber reports, as lines.
    final class Events: RedisSubscriberDelegate, Sendable {
        private let box = NIOLockedValueBox<[String]>([])

        var lines: [String] { self.box.withLockedValue { $0 } }

        func subscription(of channel: String, _ action: SubscriptionStateMachine.Action) {
            let text: String
            switch action {
            case .opened(_, nil): text = "opened"
            case .opened(_, let cause?): text = "opened after \(cause)"
            case .failed(let broken): text = broken ? "broken" : "failed"
            case .interrupted: text = "interrupted"
            case .forget: text = "forgotten"
            case .none, .subscribe, .unsubscribe: text = "unexpected"
            }
            self.box.withLockedValue { $0.append("\(channel) \(text)") }
        }

        func message(on channel: RedisReply, _ payload: RedisReply) {
            let line = "message \(channel.string) \(payload.string)"
            self.box.withLockedValue { $0.append(line) }
        }
    }

    /// Two scripted nodes whose `CLUSTER SLOTS` both answer `owners` (low half, high half), a
    /// cluster router on them and a sharded subscriber following it.
    struct Fixture {
        let redis = ScriptedRedis()
        let a: ScriptedRedisServer
        let b: ScriptedRedisServer
        /// The ports serving slots 0–8191 and 8192–16383.
        let owners: NIOLockedValueBox<(Int, Int)>
        let events = Events()
        let router: NIOLoopBound<RedisClusterRouter>
        let subscriber: NIOLoopBound<RedisSubscriber>

        /// A key in the low half of the slots, and one in the high half.
        static let low = Self.key(in: 0...8191)
        static let high = Self.key(in: 8192...16383)

        static func key(in slots: ClosedRange<Int>) -> String {
            (0...).lazy.map { "job:k\($0)" }.first { slots.contains(HashSlot.slot(for: $0)) }!
        }

        /// With `replicas`, each node is also the other shard's replica (reads and sharded
        /// subscriptions may go to replicas).
        init(replicas: Bool = false) async throws {
            let owners = NIOLockedValueBox((0, 0))
            let ports = NIOLockedValueBox(["a": 0, "b": 0])
            self.owners = owners
            // Each node answers the map, and refuses with MOVED a sharded subscription to a slot its
            // shard does not serve, as Redis does.
            let node: @Sendable (String, [String]) -> ScriptedRedisServer.Reply? = { node, command in
                let (low, high) = owners.withLockedValue { $0 }
                switch command.first {
                case "CLUSTER":
                    return ScriptedRedisServer.clusterSlots([
                        (0...8191, primary: low, replicas: replicas ? [high] : []), (8192...16383, primary: high, replicas: replicas ? [low] : []),
                    ])
                case "SSUBSCRIBE":
                    let slot = HashSlot.slot(for: command[1])
                    let owner = slot < 8192 ? low : high
                    let port = ports.withLockedValue { $0[node] }
                    return owner == port || replicas ? nil : .error("MOVED \(slot) 127.0.0.1:\(owner)")
                default:
                    return nil
                }
            }
            let redis = self.redis
            let a = try await redis.server { command, _ in node("a", command) }
            let b = try await redis.server { command, _ in node("b", command) }
            self.a = a
            self.b = b
            owners.withLockedValue { $0 = (a.port, b.port) }
            ports.withLockedValue { $0 = ["a": a.port, "b": b.port] }
            let loop = redis.eventLoop
            let configuration = RedisClusterConfiguration(
                seeds: [RedisURL(host: "127.0.0.1", port: a.port)],
                connection: Scripted.connection(a.port),
                readFromReplicas: replicas
            )
            let events = self.events
            let (router, subscriber) = try await loop.flatSubmit {
                let router = RedisClusterRouter(eventLoop: loop, configuration: configuration, logger: Scripted.logger)
                let subscriber = RedisSubscriber(router: router, logger: Scripted.logger, delegate: events)
                return router.start().assumeIsolated().flatMap { subscriber.start() }.map {
                    (NIOLoopBound(router, eventLoop: loop), NIOLoopBound(subscriber, eventLoop: loop))
                }.nonisolated()
            }.get()
            self.router = router
            self.subscriber = subscriber
        }

        func on(_ body: @escaping @Sendable (RedisSubscriber) -> Void) async throws {
            let subscriber = self.subscriber
            try await self.redis.eventLoop.submit { body(subscriber.value) }.get()
        }

        func perNode() async throws -> [String: Int] {
            let subscriber = self.subscriber
            return try await self.redis.eventLoop.submit { subscriber.value.subscriptionsPerNode }.get()
        }

        /// Waits for the events to reach `count`; the events.
        func events(_ count: Int) async -> [String] {
            _ = await Scripted.eventually { self.events.lines.count >= count }
            return self.events.lines
        }

        func shutdown() async throws {
            let (router, subscriber) = (self.router, self.subscriber)
            try await self.redis.eventLoop.flatSubmit {
                subscriber.value.shutdown().assumeIsolated().flatMap { router.value.shutdown() }.nonisolated()
            }.get()
            try await self.redis.shutdown()
        }
    }

    @Test("each channel is subscribed (SSUBSCRIBE) on the node serving its slot; a sharded message reaches the delegate")
    func placement() async throws {
        let fixture = try await Fixture()
        let (low, high) = (Fixture.low, Fixture.high)
        try await fixture.on { $0.retain(low) }
        try await fixture.on { $0.retain(high) }
        #expect(Set(await fixture.events(2)) == ["\(low) opened", "\(high) opened"])
        #expect(fixture.a.shardedSubscriptions == [low: 1])
        #expect(fixture.b.shardedSubscriptions == [high: 1])
        #expect(fixture.a.subscriptions.isEmpty && fixture.b.subscriptions.isEmpty, "no classic subscription")
        let perNode = try await fixture.perNode()
        print("subscriptions per node: \(perNode)")
        #expect(perNode == ["127.0.0.1:\(fixture.a.port)": 1, "127.0.0.1:\(fixture.b.port)": 1])
        #expect(fixture.b.publish("2 processed", on: high, sharded: true) == 1)
        #expect(await fixture.events(3).last == "message \(high) 2 processed")
        try await fixture.shutdown()
    }

    @Test("with reads from replicas, each channel is subscribed on a replica of its shard, spreading the load off the primaries")
    func replicaPlacement() async throws {
        let fixture = try await Fixture(replicas: true)
        let (low, high) = (Fixture.low, Fixture.high)
        try await fixture.on { $0.retain(low) }
        try await fixture.on { $0.retain(high) }
        #expect(Set(await fixture.events(2)) == ["\(low) opened", "\(high) opened"])
        #expect(fixture.b.shardedSubscriptions == [low: 1], "the low shard's replica is b")
        #expect(fixture.a.shardedSubscriptions == [high: 1], "the high shard's replica is a")
        try await fixture.shutdown()
    }

    @Test("released and expired: SUNSUBSCRIBE, and the channel is forgotten")
    func expire() async throws {
        let fixture = try await Fixture()
        let low = Fixture.low
        try await fixture.on { $0.retain(low) }
        _ = await fixture.events(1)
        try await fixture.on { $0.release(low) }
        #expect(fixture.a.shardedSubscriptions == [low: 1], "it lingers until the caller expires it")
        try await fixture.on { $0.expire(low) }
        #expect(await fixture.events(2) == ["\(low) opened", "\(low) forgotten"])
        #expect(fixture.a.shardedSubscriptions.isEmpty)
        #expect(try await fixture.perNode().isEmpty)
        try await fixture.shutdown()
    }

    @Test("the slot migrates (sunsubscribe pushed): subscribed again on the slot's node in the map read next, watchers told to re-read (migration)")
    func migration() async throws {
        let fixture = try await Fixture()
        let low = Fixture.low
        try await fixture.on { $0.retain(low) }
        _ = await fixture.events(1)
        fixture.owners.withLockedValue { $0.0 = fixture.b.port }
        let connections = fixture.a.acceptedConnections
        let started = ContinuousClock.now
        #expect(fixture.a.revoke(low) == 1)
        let events = await fixture.events(3)
        print("subscription moved with its slot \(ContinuousClock.now - started) after the sunsubscribe")
        #expect(events == ["\(low) opened", "\(low) interrupted", "\(low) opened after migration"])
        #expect(fixture.b.shardedSubscriptions == [low: 1])
        #expect(fixture.a.shardedSubscriptions.isEmpty)
        #expect(fixture.a.received("SSUBSCRIBE").count == 1, "not asked again on the node that pushed it out")
        #expect(fixture.a.acceptedConnections == connections, "no reset: the push was not taken for a stray reply")
        try await fixture.shutdown()
    }

    @Test("MOVED on SSUBSCRIBE: subscribed on the named node, the slot patched")
    func moved() async throws {
        let fixture = try await Fixture()
        // The slot has moved to b; the subscriber's map does not know yet, and a answers MOVED.
        fixture.owners.withLockedValue { $0.0 = fixture.b.port }
        let low = Fixture.low
        try await fixture.on { $0.retain(low) }
        let events = await fixture.events(2)
        #expect(events == ["\(low) interrupted", "\(low) opened after migration"])
        #expect(fixture.b.shardedSubscriptions == [low: 1])
        #expect(fixture.a.received("SSUBSCRIBE").count == 1)
        try await fixture.shutdown()
    }

    @Test("a node is lost and the map names another for its slots: subscriptions made again there (failover)")
    func failover() async throws {
        let fixture = try await Fixture()
        let low = Fixture.low
        try await fixture.on { $0.retain(low) }
        _ = await fixture.events(1)
        fixture.owners.withLockedValue { $0.0 = fixture.b.port }
        let started = ContinuousClock.now
        await fixture.a.stop()
        let events = await fixture.events(3)
        print("subscription made again on the new owner \(ContinuousClock.now - started) after its node stopped")
        #expect(events == ["\(low) opened", "\(low) interrupted", "\(low) opened after failover"])
        #expect(fixture.b.shardedSubscriptions == [low: 1])
        try await fixture.shutdown()
    }
}
