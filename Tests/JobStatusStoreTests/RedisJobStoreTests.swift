import JobStatusCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RedisTestSupport
import RedisWire
import Testing

@testable import JobStatusStore

/// The job store on Redis against a scripted server: the poll's one `HMGET`, what each reply
/// means, a list's reads, the probe, and watches through the subscriber connection — its
/// `SUBSCRIBE`, a change, the subscriber's loss.
@Suite("Job store on a scripted Redis")
struct RedisJobStoreTests {
    /// What the delegate was told, one line per event, in order.
    final class Recorder: JobStoreDelegate, Sendable {
        private let events = NIOLockedValueBox<[String]>([])

        var lines: [String] { self.events.withLockedValue { $0 } }

        private func record(_ line: String) {
            self.events.withLockedValue { $0.append(line) }
        }

        static func describe(_ outcome: JobReadOutcome) -> String {
            switch outcome {
            case .notFound: "not found"
            case .found(let job): "found \(job.status) \(job.httpStatus) v\(job.tag?.versionNumber ?? -1)"
            case .notModified(let status, _, _): "not modified \(status)"
            case .contractViolation(let reason): "broken: \(reason)"
            }
        }

        func recordRead(_ outcome: JobReadOutcome) { self.record("read: \(Self.describe(outcome))") }
        func recordUnavailable(_ failure: JobStoreFailure) { self.record("unavailable: \(failure)") }
        func listItemRead(at index: Int, _ outcome: JobReadOutcome) { self.record("item \(index): \(Self.describe(outcome))") }
        func listRead(failure: JobStoreFailure?) { self.record("list done" + (failure.map { ": \($0)" } ?? "")) }
        func probed(_ health: StoreHealth) { self.record(health.isReady ? "probe: ready" : "probe: unavailable") }
        func watchEvent(_ event: JobWatchEvent, generation: UInt64) { self.record("watch g\(generation): \(event)") }
    }

    /// A scripted Redis (`script`), a store group on one loop against it, a session of it, and
    /// what its delegate hears.
    struct Fixture {
        let redis = ScriptedRedis()
        let server: ScriptedRedisServer
        let stores: RedisJobStoreGroup
        let session: NIOLoopBound<any JobStoreSession>
        let recorder = Recorder()
        /// What the store logged, for a failing test to print.
        let log = TimedLog()

        init(script: @escaping ScriptedRedisServer.Script = RedisJobStoreTests.script) async throws {
            let logger = self.log.logger
            self.server = try await self.redis.server(script)
            let configuration = RedisConnectionConfiguration(
                url: RedisURL(host: "127.0.0.1", port: self.server.port),
                commandTimeout: .seconds(2),
                initialBackoff: .milliseconds(10),
                maximumBackoff: .milliseconds(50),
                heartbeat: nil
            )
            let loop = self.redis.eventLoop
            self.stores = await RedisJobStoreGroup(group: self.redis.group, deployment: .standalone(configuration), keyPrefix: "job:", logger: logger)
            let stores = self.stores
            let recorder = self.recorder
            self.session = try await loop.submit {
                NIOLoopBound(stores.store(on: loop).makeSession(delegate: recorder), eventLoop: loop)
            }.get()
        }

        /// Runs `body` with the session on its loop.
        func on(_ body: @escaping @Sendable (any JobStoreSession) -> Void) async throws {
            let session = self.session
            try await self.session.eventLoop.submit { body(session.value) }.get()
        }

        /// Waits up to 5 s for `count` events; the events.
        func events(_ count: Int) async -> [String] {
            let start = ContinuousClock.now
            while self.recorder.lines.count < count && ContinuousClock.now - start < .seconds(5) {
                try? await Task.sleep(for: .milliseconds(5))
            }
            return self.recorder.lines
        }

        /// Closes the session and the stores, then the scripted Redis.
        func shutdown() async throws {
            try await self.on { $0.close() }
            await self.stores.shutdown()
            try await self.redis.shutdown()
        }
    }

    static let records: [String: [String: String]] = [
        "job:pending": ["status": "pending", "eta": "2026-01-01T00:00:00.000Z", "version": "1", "created_at": "7"],
        "job:done": [
            "status": "processed", "eta": "2026-01-01T00:00:00.000Z", "status_code": "200", "version": "3", "created_at": "7",
            "links": #"[{"entity":"encounter","href":"/api/encounters/1"}]"#,
        ],
        "job:mine": ["status": "pending", "eta": "2026-01-01T00:00:00.000Z", "owner": "mis-1", "version": "1", "created_at": "7"],
        "job:broken": ["status": "pending"],
    ]

    static func script(_ command: [String], _ connection: Int) -> ScriptedRedisServer.Reply? {
        guard command.first == "HMGET", command.count > 2 else { return nil }
        switch command[1] {
        case "job:list": return .error("WRONGTYPE Operation against a key holding the wrong kind of value")
        case "job:oom": return .error("OOM command not allowed when used memory > maxmemory")
        default: return ScriptedRedisServer.hmget(command, from: Self.records[command[1]])
        }
    }

    @Test("a poll is one HMGET of every record field; each reply is decided as the contract says")
    func reads() async throws {
        let fixture = try await Fixture()
        let server = fixture.server
        let cases: [(id: Substring, caller: String?, expected: String)] = [
            ("pending", nil, "read: found pending 200 v1"),
            ("done", nil, "read: found processed 303 v3"),
            ("nothing", nil, "read: not found"),
            ("mine", "mis-2", "read: not found"),
            ("mine", "mis-1", "read: found pending 200 v1"),
            ("broken", nil, "read: broken: the record has no eta"),
            ("list", nil, "read: broken: the key does not hold a hash"),
            ("oom", nil, "unavailable: refused(\"OOM command not allowed when used memory > maxmemory\")"),
        ]
        for (index, row) in cases.enumerated() {
            try await fixture.on { $0.read(id: row.id, caller: row.caller, ifNoneMatch: nil) }
            let last = await fixture.events(index + 1).last
            #expect(last == row.expected, "\(row.id)")
        }
        let hmget = try #require(server.received("HMGET").first)
        #expect(hmget == ["HMGET", "job:pending"] + JobRecordField.allCases.map { "\($0.name)" })
        try await fixture.on { $0.read(id: "pending", caller: nil, ifNoneMatch: #"W/"1.7""#) }
        #expect(await fixture.events(cases.count + 1).last == "read: not modified pending")
        try await fixture.shutdown()
    }

    @Test("a list reads every job at once and reports each item, then the list")
    func list() async throws {
        let fixture = try await Fixture()
        let server = fixture.server
        try await fixture.on { $0.readList(ids: ["pending", "nothing", "done"], caller: nil, held: false) }
        #expect(await fixture.events(4) == ["item 0: found pending 200 v1", "item 1: not found", "item 2: found processed 303 v3", "list done"])
        #expect(server.received("HMGET").map { $0[1] } == ["job:pending", "job:nothing", "job:done"], "one HMGET per job, in order")
        try await fixture.on { $0.readList(ids: ["pending", "oom"], caller: nil, held: false) }
        let events = await fixture.events(6)
        #expect(events.suffix(2).first == "item 0: found pending 200 v1")
        #expect(events.last?.hasPrefix("list done: refused") == true, "one refused item fails the list: \(events)")
        try await fixture.shutdown()
    }

    @Test("the probe is a PING; a server that is gone answers unavailable")
    func probe() async throws {
        let fixture = try await Fixture()
        let server = fixture.server
        try await fixture.on { $0.probe() }
        #expect(await fixture.events(1) == ["probe: ready"])
        await server.stop()
        // The loop sees its connection go before it probes: a PING sent before the server's close
        // took effect would still be answered.
        let stores = fixture.stores
        let loop = fixture.redis.eventLoop
        let started = ContinuousClock.now
        while try await loop.submit({ stores.store(on: loop).isReady }).get(), ContinuousClock.now - started < .seconds(5) {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await fixture.on { $0.probe() }
        let last = await fixture.events(2).last
        #expect(last == "probe: unavailable")
        try await fixture.shutdown()
    }

    @Test("a watch subscribes to the job's key and is ready once confirmed; a write's message is a change; a lost subscriber is made again and each job re-read")
    func watches() async throws {
        let fixture = try await Fixture()
        let server = fixture.server
        try await fixture.on { $0.watch(ids: ["pending", "done"], generation: 7) }
        #expect(await fixture.events(1) == ["watch g7: ready"])
        #expect(server.subscriptions == ["job:pending": 1, "job:done": 1])
        #expect(server.publish("2 processed", on: "job:pending") == 1)
        #expect(await fixture.events(2).last == "watch g7: changed")
        server.publish("9 pending", on: "job:someone-else")
        let started = ContinuousClock.now
        server.dropConnections()
        let events = await fixture.events(4)
        print("watch made again \(ContinuousClock.now - started) after the subscriber's connection dropped")
        #expect(events == ["watch g7: ready", "watch g7: changed", "watch g7: resumed", "watch g7: resumed"], "a message on another job is not this watch's; one re-check per job made again; the store's log:\n\(fixture.log.text)")
        #expect(server.subscriptions == ["job:pending": 1, "job:done": 1])
        try await fixture.shutdown()
    }
}
