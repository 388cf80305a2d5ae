import JobStatusCore
import JobStatusWriter
import NIOConcurrencyHelpers
import NIOPosix
import RedisTestSupport
import RedisWire
import Testing

/// The writer against a scripted Redis: what it sends (the script by its SHA-1, the whole script
/// once Redis has forgotten it, the TTL defaults), and how the script's refusals become errors.
@Suite("Job writer on a scripted Redis")
struct JobWriterTests {
    @Test("EVALSHA first; on NOSCRIPT the whole script once; the pending TTL default is the script's own")
    func scriptLoading() async throws {
        let redis = ScriptedRedis()
        let loaded = NIOLockedValueBox(false)
        let server = try await redis.server { command, _ in
            switch command.first {
            case "EVALSHA" where !loaded.withLockedValue({ $0 }): return .error("NOSCRIPT No matching script. Please use EVAL.")
            case "EVAL":
                loaded.withLockedValue { $0 = true }
                return .array([.integer(1), .bulk("created")])
            case "EVALSHA": return .array([.integer(2), .bulk("updated")])
            default: return nil
            }
        }
        let writer = try await JobWriter.connect(url: RedisURL(host: "127.0.0.1", port: server.port), eventLoop: redis.eventLoop)
        let created = try await writer.create(id: "a1")
        #expect(created.version == 1 && created.outcome == .created)
        let progressed = try await writer.progress(id: "a1")
        #expect(progressed.version == 2 && progressed.outcome == .updated)
        let calls = server.commands.filter { $0.first?.hasPrefix("EVAL") == true }
        #expect(calls.map { $0[0] } == ["EVALSHA", "EVAL", "EVALSHA"])
        #expect(calls[1][1] == WriteScript.source, "the script is sent as it is in the repository")
        #expect(Array(calls[0].dropFirst(2).prefix(3)) == ["1", "job:a1", "create"])
        let ttl = calls[0].firstIndex(of: "ttl").map { calls[0][$0 + 1] }
        #expect(ttl == String(RecordDefaults.pendingTTL.components.seconds))
        await writer.close()
        try await redis.shutdown()
    }

    @Test("the script's error codes become the writer's errors, with the message after the code")
    func refusals() async throws {
        let redis = ScriptedRedis()
        let replies: [String: ScriptedRedisServer.Reply] = [
            "invalid": .error("INVALID eta is not an RFC 3339 timestamp"), "exists": .error("EXISTS the id is taken"),
            "gone": .error("NOTFOUND no such job"), "final": .error("REFUSED processed is final"),
            "big": .error("TOOLARGE payload over 65536 bytes"), "odd": .error("ERR something else"), "bare": .simple("OK"),
        ]
        let server = try await redis.server { command, _ in
            guard command.first == "EVALSHA", command.count > 3 else { return nil }
            return replies[String(command[3].dropFirst("job:".count))]
        }
        let writer = try await JobWriter.connect(url: RedisURL(host: "127.0.0.1", port: server.port), eventLoop: redis.eventLoop)
        let expected: [(String, JobWriteError)] = [
            ("invalid", .invalidArgument("eta is not an RFC 3339 timestamp")), ("exists", .refused("the id is taken")),
            ("gone", .notFound("no such job")), ("final", .refused("processed is final")),
            ("big", .invalidArgument("payload over 65536 bytes")), ("odd", .unexpectedReply("ERR something else")),
            ("bare", .unexpectedReply("the write script answered OK")),
        ]
        for (id, error) in expected {
            await #expect(throws: error, "\(id)") { try await writer.progress(id: id) }
        }
        await #expect(throws: JobWriteError.invalidArgument("a TTL must be from 1 second to 315360000 seconds (ten years)")) {
            try await writer.progress(id: "a1", ttl: .seconds(315_360_001))
        }
        #expect(server.received("EVALSHA").count == expected.count, "a TTL out of range never reaches Redis")
        await writer.close()
        try await redis.shutdown()
    }
}
