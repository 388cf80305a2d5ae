import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RedisTestSupport
import Testing

@testable import RedisWire

/// Servers that stop answering, nodes that fail, sentinels that know nothing, replicas behind a
/// master: the fallbacks, each against scripted servers.
@Suite("Redis fallbacks against scripted servers")
struct ScriptedServerFailureTests {
    typealias Fixture = ScriptedServerTests

    @Test("a command the server never answers times out; the connection is reset and the next command is served")
    func commandTimeout() async throws {
        let redis = ScriptedRedis()
        let server = try await redis.server { command, _ in
            command == ["GET", "slow"] ? .silence : (command.first == "GET" ? .bulk("v") : nil)
        }
        var configuration = Fixture.connection(server.port)
        configuration.commandTimeout = .milliseconds(200)
        let client = try await RedisClient.connect(configuration: configuration, on: redis.eventLoop, logger: Fixture.logger)
        let started = ContinuousClock.now
        await #expect(throws: RedisError.timeout) { try await client.send(["GET", "slow"]) }
        print("unanswered command failed after \(ContinuousClock.now - started)")
        let served = await Fixture.eventually { (try? await client.send(["GET", "k"])) == .bulkString(Array("v".utf8)) }
        #expect(served != nil)
        #expect(server.acceptedConnections == 2, "the timed-out connection was replaced")
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("heartbeats: an idle connection PINGs; a server that stops answering PING is left for a new connection")
    func heartbeat() async throws {
        let redis = ScriptedRedis()
        let pings = NIOLockedCounter()
        let server = try await redis.server { command, connection in
            // The first connection answers its login's PING, then falls silent, as behind a dead link.
            guard command == ["PING"], connection == 1 else { return nil }
            return pings.increment() == 1 ? .simple("PONG") : .silence
        }
        var configuration = Fixture.connection(server.port)
        configuration.heartbeat = .milliseconds(100)
        configuration.commandTimeout = .milliseconds(200)
        let client = try await RedisClient.connect(configuration: configuration, on: redis.eventLoop, logger: Fixture.logger)
        let replaced = await Fixture.eventually { server.acceptedConnections >= 2 }
        print("silent connection replaced after \(replaced.map { "\($0)" } ?? "never") (heartbeat 100 ms, timeout 200 ms)")
        #expect(replaced != nil)
        // Serving again once the new connection has logged in.
        #expect(await Fixture.eventually { (try? await client.send(["PING"])) == .simpleString("PONG") } != nil)
        #expect(server.received("PING").count >= 4, "the login's PING, the unanswered heartbeat, the new login's PING, the command")
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("a primary that fails: the router reads the map again from the nodes still up, and the promoted replica serves")
    func failedNode() async throws {
        let redis = ScriptedRedis()
        let primary = try await redis.server()
        let replica = try await redis.server()
        // The replica's view of the cluster: it replicates the primary until it is promoted.
        let promoted = NIOLockedValueBox(false)
        let map = { @Sendable () -> ScriptedRedisServer.Reply in
            promoted.withLockedValue { $0 }
                ? ScriptedRedisServer.clusterSlots([(0...16383, primary: replica.port, replicas: [])])
                : ScriptedRedisServer.clusterSlots([(0...16383, primary: primary.port, replicas: [replica.port])])
        }
        primary.setScript { command, _ in
            switch command.first {
            case "CLUSTER": return map()
            case "GET": return .bulk("from the primary")
            default: return nil
            }
        }
        replica.setScript { command, _ in
            switch command.first {
            case "CLUSTER": return map()
            case "GET": return .bulk("from the replica")
            default: return nil
            }
        }
        let seeds = [RedisURL(host: "127.0.0.1", port: primary.port)]
        let client = try await RedisClient.connect(
            deployment: .cluster(RedisClusterConfiguration(seeds: seeds, connection: Fixture.connection(primary.port))),
            on: redis.eventLoop,
            logger: Fixture.logger
        )
        #expect(try await client.send(["GET", Fixture.key], key: Fixture.key) == .bulkString(Array("from the primary".utf8)))
        // The primary dies (its port refuses connections) and its replica is promoted.
        promoted.withLockedValue { $0 = true }
        let started = ContinuousClock.now
        await primary.stop()
        let moved = await Fixture.eventually {
            (try? await client.send(["GET", Fixture.key], key: Fixture.key)) == .bulkString(Array("from the replica".utf8))
        }
        print("served by the promoted replica \(ContinuousClock.now - started) after the primary failed")
        #expect(moved != nil)
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("no sentinel knows the master: the first attempt fails naming what each sentinel said")
    func noSentinelAnswers() async throws {
        let redis = ScriptedRedis()
        let unaware = try await redis.server { command, _ in
            command.first == "SENTINEL" ? .bulk(nil) : nil
        }
        let closed = try await redis.server()
        let closedPort = closed.port
        await closed.stop()
        let configuration = Fixture.sentinel([closedPort, unaware.port])
        do {
            _ = try await RedisClient.connect(deployment: .sentinel(configuration, readFromReplicas: false), on: redis.eventLoop, logger: Fixture.logger)
            Issue.record("connected without a master")
        } catch {
            let text = "\(error)"
            #expect(text.contains("127.0.0.1:\(closedPort)"), "\(text)")
            #expect(text.contains("does not monitor a master named 'jobs'"), "\(text)")
        }
        try await redis.shutdown()
    }

    @Test("Sentinel with read_from replica: reads go to the replica the sentinels list; its LOADING sends the read to the master")
    func sentinelReplicas() async throws {
        let redis = ScriptedRedis()
        let loading = NIOLockedValueBox(false)
        let master = try await redis.server { command, _ in command.first == "GET" ? .bulk("master") : nil }
        let replica = try await redis.server { command, _ in
            guard command.first == "GET" else { return nil }
            return loading.withLockedValue { $0 } ? .error("LOADING Redis is loading the dataset in memory") : .bulk("replica")
        }
        let sentinel = try await redis.server { command, _ in
            switch Array(command.prefix(2)) {
            case ["SENTINEL", "get-master-addr-by-name"]:
                return .array([.bulk("127.0.0.1"), .bulk(String(master.port))])
            case ["SENTINEL", "replicas"]:
                let fields = [("name", "127.0.0.1:\(replica.port)"), ("ip", "127.0.0.1"), ("port", "\(replica.port)"), ("flags", "slave"),
                    ("master-link-status", "ok")]
                return .array([.array(fields.flatMap { [ScriptedRedisServer.Reply.bulk($0.0), .bulk($0.1)] })])
            default:
                return nil
            }
        }
        let configuration = Fixture.sentinel([sentinel.port])
        let client = try await RedisClient.connect(deployment: .sentinel(configuration, readFromReplicas: true), on: redis.eventLoop, logger: Fixture.logger)
        let fromReplica = await Fixture.eventually { (try? await client.send(["GET", "k"], key: "k", readOnly: true)) == .bulkString(Array("replica".utf8)) }
        #expect(fromReplica != nil, "the replica serves reads once the sentinels listed it")
        #expect(try await client.send(["GET", "k"], key: "k") == .bulkString(Array("master".utf8)), "what is not read-only goes to the master")
        loading.withLockedValue { $0 = true }
        #expect(try await client.send(["GET", "k"], key: "k", readOnly: true) == .bulkString(Array("master".utf8)), "a LOADING replica's read is retried on the master")
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("a MOVED to a node that never finishes its login: the command waits for that node's first attempt, then fails, bounded by the connect timeout")
    func movedToSilentNode() async throws {
        let redis = ScriptedRedis()
        let silent = try await redis.server { command, _ in command == ["PING"] ? .silence : nil }
        let a = try await redis.server()
        let slot = Fixture.slot
        // Resharded to the silent node: once a has redirected, its map says so too, so the refresh
        // that follows the MOVED keeps the node rather than dropping it.
        let redirected = NIOLockedValueBox(false)
        a.setScript { command, _ in
            switch command.first {
            case "CLUSTER":
                let owner = redirected.withLockedValue { $0 } ? silent.port : a.port
                return ScriptedRedisServer.clusterSlots([(0...16383, primary: owner, replicas: [])])
            case "GET":
                redirected.withLockedValue { $0 = true }
                return .error("MOVED \(slot) 127.0.0.1:\(silent.port)")
            default:
                return nil
            }
        }
        var connection = Fixture.connection(a.port)
        connection.commandTimeout = .milliseconds(300)
        let seeds = [RedisURL(host: "127.0.0.1", port: a.port)]
        let client = try await RedisClient.connect(
            deployment: .cluster(RedisClusterConfiguration(seeds: seeds, connection: connection)),
            on: redis.eventLoop,
            logger: Fixture.logger
        )
        let started = ContinuousClock.now
        await #expect(throws: RedisError.self) { try await client.send(["GET", Fixture.key], key: Fixture.key) }
        let waited = ContinuousClock.now - started
        print("a command redirected to a silent node failed after \(waited) (connect timeout 300 ms)")
        #expect(waited >= .milliseconds(250) && waited < .seconds(3), "it waited for the attempt, and no longer")
        await client.shutdown()
        try await redis.shutdown()
    }
}
