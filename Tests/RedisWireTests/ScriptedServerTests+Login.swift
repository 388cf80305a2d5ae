import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RedisTestSupport
import Testing

@testable import RedisWire

/// What a connection says when it logs in, and what it makes of the answers: credentials and the
/// database from the configuration, a password file read again at every connect, a refused
/// login named as such, a "master" that is not one.
@Suite("Redis login against scripted servers")
struct ScriptedLoginTests {
    typealias Fixture = ScriptedServerTests

    @Test("the login pipelines AUTH with the user, SELECT of the database, then PING")
    func loginCommands() async throws {
        let redis = ScriptedRedis()
        let server = try await redis.server()
        var configuration = Fixture.connection(server.port)
        configuration.url = RedisURL(host: "127.0.0.1", port: server.port, user: "front", password: "s3cret", database: 3)
        let client = try await RedisClient.connect(configuration: configuration, on: redis.eventLoop, logger: Fixture.logger)
        #expect(server.commands == [["AUTH", "front", "s3cret"], ["SELECT", "3"], ["PING"]])
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("redis.password_file is read again at every connect: a rotated password needs no restart")
    func passwordRotation() async throws {
        let redis = ScriptedRedis()
        let current = NIOLockedValueBox("first")
        let server = try await redis.server { command, _ in
            guard command.first == "AUTH" else { return nil }
            return command.last == current.withLockedValue({ $0 }) ? .ok : .error("WRONGPASS invalid username-password pair or user is disabled.")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("redis-password-\(UInt32.random(in: 0...UInt32.max))").path
        try "first\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var configuration = Fixture.connection(server.port)
        configuration.passwordFile = file
        let client = try await RedisClient.connect(configuration: configuration, on: redis.eventLoop, logger: Fixture.logger)
        #expect(try await client.send(["PING"]) == .simpleString("PONG"))
        // The secret rotates: the server takes only the new one, the file says it.
        current.withLockedValue { $0 = "second" }
        try "second\n".write(toFile: file, atomically: true, encoding: .utf8)
        server.dropConnections()
        let back = await Fixture.eventually { (try? await client.send(["PING"])) == .simpleString("PONG") }
        #expect(back != nil)
        #expect(server.received("AUTH").map(\.last) == ["first", "second"], "the trailing newline is not part of the password")
        await client.shutdown()
        try await redis.shutdown()
    }

    @Test("a refused login fails the first attempt with what to check, and is not mistaken for a network failure")
    func refusedLogin() async throws {
        let redis = ScriptedRedis()
        let server = try await redis.server { command, _ in
            command.first == "AUTH" ? .error("WRONGPASS invalid username-password pair or user is disabled.") : nil
        }
        var configuration = Fixture.connection(server.port)
        configuration.url = RedisURL(host: "127.0.0.1", port: server.port, password: "wrong")
        do {
            _ = try await RedisClient.connect(configuration: configuration, on: redis.eventLoop, logger: Fixture.logger)
            Issue.record("logged in with a refused password")
        } catch {
            #expect("\(error)".contains("Redis refused the login (check redis.username, redis.password or redis.password_file)"), "\(error)")
        }
        try await redis.shutdown()
    }

    @Test("Sentinel: a server the sentinels name whose ROLE is not master is not used; the next attempt asks again")
    func notAMaster() async throws {
        let redis = ScriptedRedis()
        let demoted = NIOLockedValueBox(true)
        let server = try await redis.server { command, _ in
            switch command.first {
            case "ROLE":
                return demoted.withLockedValue { $0 } ? .array([.bulk("slave"), .bulk("127.0.0.1"), .integer(6379), .bulk("connected"), .integer(0)]) : nil
            case "GET":
                return .bulk("from the master")
            default:
                return nil
            }
        }
        let sentinel = try await redis.server { command, _ in
            command.prefix(2) == ["SENTINEL", "get-master-addr-by-name"] ? .array([.bulk("127.0.0.1"), .bulk(String(server.port))]) : nil
        }
        let configuration = Fixture.sentinel([sentinel.port])
        do {
            _ = try await RedisClient.connect(deployment: .sentinel(configuration, readFromReplicas: false), on: redis.eventLoop, logger: Fixture.logger)
            Issue.record("used a server whose ROLE is slave")
        } catch {
            #expect("\(error)".contains("is not the master of 'jobs' (ROLE answered slave)"), "\(error)")
        }
        #expect(server.received("GET").isEmpty, "nothing was sent to it")
        try await redis.shutdown()
    }

    @Test("a cluster whose nodes cannot say where the slots are: the router is not ready, and a command fails at once")
    func noSlotMap() async throws {
        let redis = ScriptedRedis()
        let server = try await redis.server { command, _ in
            command.first == "CLUSTER" ? .error("ERR This instance has cluster support disabled") : nil
        }
        let seeds = [RedisURL(host: "127.0.0.1", port: server.port)]
        let configuration = RedisClusterConfiguration(seeds: seeds, connection: Fixture.connection(server.port))
        await #expect(throws: RedisError.self) {
            try await RedisClient.connect(deployment: .cluster(configuration), on: redis.eventLoop, logger: Fixture.logger)
        }
        #expect(server.received("CLUSTER").count >= 1)
        try await redis.shutdown()
    }
}
