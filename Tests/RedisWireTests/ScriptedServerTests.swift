import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RedisTestSupport
import Testing

@testable import RedisWire

/// The Redis side against scripted servers in this process: reconnects, `MOVED`/`ASK`, the slot
/// map's refresh, replica fallback and a Sentinel failover, each with exactly the replies that
/// provoke it. What needs a real Redis (its replication, its cluster bus) stays end to end.
@Suite("Redis routing against scripted servers")
struct ScriptedServerTests {
    static let logger: Logger = {
        var logger = Logger(label: "scripted")
        logger.logLevel = .critical
        return logger
    }()

    static func connection(_ port: Int) -> RedisConnectionConfiguration {
        RedisConnectionConfiguration(
            url: RedisURL(host: "127.0.0.1", port: port),
            commandTimeout: .seconds(2),
            initialBackoff: .milliseconds(10),
            maximumBackoff: .milliseconds(50),
            heartbeat: nil
        )
    }

    /// The connection to the master the sentinels at `sentinelPorts` name `jobs`.
    static func sentinel(_ sentinelPorts: [Int]) -> RedisConnectionConfiguration {
        var configuration = Self.connection(0)
        configuration.url = RedisURL(host: "jobs")
        configuration.sentinel = RedisSentinelConfiguration(sentinels: sentinelPorts.map { RedisURL(host: "127.0.0.1", port: $0) }, masterName: "jobs")
        return configuration
    }

    /// Waits up to `seconds` for `condition`; how long it took, or nil.
    static func eventually(within seconds: Double = 5, _ condition: () async -> Bool) async -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(seconds) {
            if await condition() { return ContinuousClock.now - start }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// The slot of `key`, and a key that hashes to the other half of the slots.
    static let key = "job:a1"
    static var slot: Int { HashSlot.slot(for: Self.key) }

    @Test("a connection the server closes reconnects by itself, logs in again, and serves the next command")
    func reconnect() async throws {
        let redis = ScriptedRedis()
        let server = try await redis.server { command, _ in
            command.first == "GET" ? .bulk("v") : nil
        }
        let client = try await RedisClient.connect(configuration: Self.connection(server.port), on: redis.eventLoop, logger: Self.logger)
        #expect(try await client.send(["GET", "k"]) == .bulkString(Array("v".utf8)))
        server.dropConnections()
        let back = await Self.eventually { (try? await client.send(["GET", "k"])) == .bulkString(Array("v".utf8)) }
        print("reconnected and answered after \(back.map { "\($0)" } ?? "never")")
        #expect(back != nil)
        #expect(server.acceptedConnections == 2)
        #expect(server.received("PING").count == 2, "each login ends with a PING")
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("MOVED: the command is re-sent to the named node, the slot is patched at once, and the map is read again")
    func moved() async throws {
        let redis = ScriptedRedis()
        let b = try await redis.server { command, _ in command.first == "GET" ? .bulk("from b") : nil }
        let a = try await redis.server()
        let slot = Self.slot
        // Once a has redirected, its map says what a resharded cluster's would: every slot at b.
        let redirected = NIOLockedValueBox(false)
        a.setScript { command, _ in
            switch command.first {
            case "CLUSTER":
                let owner = redirected.withLockedValue { $0 } ? b.port : a.port
                return ScriptedRedisServer.clusterSlots([(0...16383, primary: owner, replicas: [])])
            case "GET":
                redirected.withLockedValue { $0 = true }
                return .error("MOVED \(slot) 127.0.0.1:\(b.port)")
            default:
                return nil
            }
        }
        let configuration = RedisClusterConfiguration(seeds: [RedisURL(host: "127.0.0.1", port: a.port)], connection: Self.connection(a.port))
        let client = try await RedisClient.connect(deployment: .cluster(configuration), on: redis.eventLoop, logger: Self.logger)
        let before = a.received("CLUSTER").count
        #expect(try await client.send(["GET", Self.key], key: Self.key) == .bulkString(Array("from b".utf8)))
        #expect(try await client.send(["GET", Self.key], key: Self.key) == .bulkString(Array("from b".utf8)))
        #expect(a.received("GET").count == 1, "after the MOVED the slot's commands go to b directly")
        #expect(b.received("GET").count == 2)
        let refreshed = await Self.eventually { a.received("CLUSTER").count > before }
        print("slot map read again \(refreshed.map { "\($0)" } ?? "never") after the MOVED")
        #expect(refreshed != nil)
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("ASK: the command is sent once to the named node after ASKING, and the map keeps the slot where it was")
    func ask() async throws {
        let redis = ScriptedRedis()
        let b = try await redis.server { command, _ in command.first == "GET" ? .bulk("from b") : nil }
        let a = try await redis.server()
        let slot = Self.slot
        let asked = NIOLockedCounter()
        a.setScript { command, _ in
            switch command.first {
            case "CLUSTER": ScriptedRedisServer.clusterSlots([(0...16383, primary: a.port, replicas: [])])
            case "GET": asked.increment() == 1 ? .error("ASK \(slot) 127.0.0.1:\(b.port)") : .bulk("from a")
            default: nil
            }
        }
        let configuration = RedisClusterConfiguration(seeds: [RedisURL(host: "127.0.0.1", port: a.port)], connection: Self.connection(a.port))
        let client = try await RedisClient.connect(deployment: .cluster(configuration), on: redis.eventLoop, logger: Self.logger)
        #expect(try await client.send(["GET", Self.key], key: Self.key) == .bulkString(Array("from b".utf8)))
        #expect(b.commands.suffix(2) == [["ASKING"], ["GET", Self.key]], "\(b.commands)")
        #expect(try await client.send(["GET", Self.key], key: Self.key) == .bulkString(Array("from a".utf8)))
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("redirections are capped: a node that only ever redirects fails the command instead of looping")
    func redirectionLoop() async throws {
        let redis = ScriptedRedis()
        let a = try await redis.server()
        let slot = Self.slot
        a.setScript { command, _ in
            switch command.first {
            case "CLUSTER": ScriptedRedisServer.clusterSlots([(0...16383, primary: a.port, replicas: [])])
            case "GET": .error("MOVED \(slot) 127.0.0.1:\(a.port)")
            default: nil
            }
        }
        let configuration = RedisClusterConfiguration(seeds: [RedisURL(host: "127.0.0.1", port: a.port)], connection: Self.connection(a.port))
        let client = try await RedisClient.connect(deployment: .cluster(configuration), on: redis.eventLoop, logger: Self.logger)
        let error = await #expect(throws: RedisError.self) { try await client.send(["GET", Self.key], key: Self.key) }
        #expect(error?.serverError?.code == .moved, "the last redirection, with its code: \(String(describing: error))")
        #expect(a.received("GET").count == configuration.maximumRedirections + 1)
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("a replica that answers LOADING: the read is retried on the primary, and the replica is skipped for a while")
    func replicaFallback() async throws {
        let redis = ScriptedRedis()
        let replica = try await redis.server { command, _ in
            command.first == "GET" ? .error("LOADING Redis is loading the dataset in memory") : nil
        }
        let primary = try await redis.server()
        primary.setScript { command, _ in
            switch command.first {
            case "CLUSTER": ScriptedRedisServer.clusterSlots([(0...16383, primary: primary.port, replicas: [replica.port])])
            case "GET": .bulk("from the primary")
            default: nil
            }
        }
        let configuration = RedisClusterConfiguration(
            seeds: [RedisURL(host: "127.0.0.1", port: primary.port)],
            connection: Self.connection(primary.port),
            readFromReplicas: true
        )
        let client = try await RedisClient.connect(deployment: .cluster(configuration), on: redis.eventLoop, logger: Self.logger)
        for _ in 0..<3 {
            #expect(try await client.send(["GET", Self.key], key: Self.key, readOnly: true) == .bulkString(Array("from the primary".utf8)))
        }
        #expect(replica.received("GET").count == 1, "skipped after its LOADING")
        #expect(primary.received("GET").count == 3)
        #expect(replica.received("READONLY").count == 1, "a replica connection says READONLY when it logs in")
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("Sentinel: the master the sentinels name serves; after +switch-master the connection moves to the new one")
    func sentinelFailover() async throws {
        let redis = ScriptedRedis()
        let first = try await redis.server { command, _ in command.first == "GET" ? .bulk("first") : nil }
        let second = try await redis.server { command, _ in command.first == "GET" ? .bulk("second") : nil }
        let sentinel = try await redis.server()
        let masterPort = NIOLockedValueBox(first.port)
        sentinel.setScript { command, _ in
            guard command.prefix(2) == ["SENTINEL", "get-master-addr-by-name"] else { return nil }
            return .array([.bulk("127.0.0.1"), .bulk(String(masterPort.withLockedValue { $0 }))])
        }
        let configuration = Self.sentinel([sentinel.port])
        let client = try await RedisClient.connect(deployment: .sentinel(configuration, readFromReplicas: false), on: redis.eventLoop, logger: Self.logger)
        #expect(try await client.send(["GET", "k"]) == .bulkString(Array("first".utf8)))
        #expect(first.received("ROLE").count == 1, "the master's ROLE is checked before it is used")
        #expect(await Self.eventually { sentinel.received("SUBSCRIBE").count == 1 } != nil, "the sentinel's +switch-master is listened to")
        masterPort.withLockedValue { $0 = second.port }
        let started = ContinuousClock.now
        #expect(sentinel.publish("jobs 127.0.0.1 \(first.port) 127.0.0.1 \(second.port)", on: "+switch-master") == 1)
        let moved = await Self.eventually { (try? await client.send(["GET", "k"])) == .bulkString(Array("second".utf8)) }
        print("serving from the new master \(ContinuousClock.now - started) after +switch-master")
        #expect(moved != nil)
        await client.shutdown()
        try await redis.shutdown()
    }
}

/// A counter scripts share across the server's threads.
final class NIOLockedCounter: Sendable {
    private let value = NIOLockedValueBox(0)

    /// The count after this increment.
    func increment() -> Int {
        self.value.withLockedValue { value in
            value += 1
            return value
        }
    }
}
