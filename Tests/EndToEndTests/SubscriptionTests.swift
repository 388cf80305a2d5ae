import Foundation
import JobStatusWriter
import NIOConcurrencyHelpers
import RedisWire
import Testing

/// What waiting costs Redis, and what happens when the subscriber connection goes away.
@Suite("Subscriptions behind long polls and streams", .serialized)
struct SubscriptionTests {
    private func start(_ name: String) async throws -> (RedisServer, Front, JobWriter) {
        let redis = try await RedisServer.start(name)
        let front = try await Front.start(name, redis: redis, environment: ["POLLING_HEARTBEAT": "500ms"])
        let writer = try await JobWriter.connect(url: try RedisURL(parsing: redis.url), eventLoop: TestEventLoop.shared, logger: quietLogger)
        return (redis, front, writer)
    }

    private func stop(_ redis: RedisServer, _ front: Front, _ writer: JobWriter) async {
        await writer.close()
        await front.child.kill()
        await redis.stop()
    }

    @Test("many waiters on one job share one subscription; it goes when the last waiter leaves early")
    func sharedAndReleased() async throws {
        let (redis, front, writer) = try await self.start("subscriptions")
        let id = uniqueID()
        _ = try await writer.create(id: id)
        var waiters = try (0..<6).map { _ in try front.client(timeout: .seconds(20)) }
        for waiter in waiters {
            try waiter.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=20", token: Tokens.owner))
        }
        #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await redis.subscribers(of: "job:\(id)") == 1, "one subscription, however many waiters")

        // Every waiter disconnects before the job changes: nothing may leak.
        waiters.removeAll()
        #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 0 })
        let channels = try await redis.command(["PUBSUB", "CHANNELS"]).array ?? []
        #expect(channels.isEmpty)
        #expect(try await front.get("/health/live").status == 200)
        await self.stop(redis, front, writer)
    }

    @Test("the subscriber connection drops: waiters are answered from a fresh read, and waiting works again")
    func subscriberLoss() async throws {
        let (redis, front, writer) = try await self.start("subscriber-loss")
        let id = uniqueID()
        _ = try await writer.create(id: id)
        let waiter = try front.client(timeout: .seconds(20))
        try waiter.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=20", token: Tokens.owner))
        #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
        let killed = ContinuousClock.now
        _ = try await redis.command(["CLIENT", "KILL", "TYPE", "pubsub"])
        let response = try await waiter.readResponse()
        #expect(response.status == 200, "answered, not left hanging")
        #expect(ContinuousClock.now - killed < .seconds(2))

        // The hub reconnects; a new long poll is woken by a write again.
        let again = try front.client(timeout: .seconds(20))
        let resubscribed = await eventually(timeout: .seconds(10)) {
            try? again.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=2", token: Tokens.owner))
            guard (try? await redis.subscribers(of: "job:\(id)")) == 1 else {
                _ = try? await again.readResponse()
                return false
            }
            return true
        }
        #expect(resubscribed)
        _ = try await writer.processed(id: id, responseData: "{}")
        #expect(try await again.readResponse().status == 200)
        await self.stop(redis, front, writer)
    }

    @Test("event streams send heartbeats, and end with a 'gone' event when the job expires")
    func heartbeatAndExpiry() async throws {
        let (redis, front, writer) = try await self.start("heartbeat")
        let id = uniqueID()
        _ = try await writer.create(id: id, ttl: .seconds(2))
        let client = try front.client(timeout: .seconds(10))
        try client.send(HTTPTestClient.requestText("/api/jobs/\(id)/events", token: Tokens.owner))
        _ = try await client.readStreamHead()
        #expect(try await client.readChunk().contains("id: 1"))
        #expect(try await client.readChunk() == ": heartbeat\n\n")
        var sawGone = false
        for _ in 0..<10 {
            let chunk = try await client.readChunk()
            if chunk.isEmpty { break }
            if chunk.contains("event: gone") {
                sawGone = true
                #expect(chunk.contains("not_found"))
            }
        }
        #expect(sawGone)
        await self.stop(redis, front, writer)
    }

    @Test("the subscriber connection is killed every 0.5 s while 1,000 long polls a second arrive: every one is answered, no subscription is left")
    func subscriberChurn() async throws {
        let redis = try await RedisServer.start("subscriber-churn")
        let front = try await Front.start("subscriber-churn", redis: redis, environment: ["LIMITS_MAX_WAITERS_PER_CLIENT": "100000"])
        let writer = try await JobWriter.connect(url: try RedisURL(parsing: redis.url), eventLoop: TestEventLoop.shared, logger: quietLogger)
        let wait = 2
        let perSecond = 1000
        let seconds = 10
        let ids = (0..<(perSecond * seconds)).map { _ in uniqueID("c") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slice in stride(from: 0, to: ids.count, by: 500) {
                let batch = ids[slice..<min(slice + 500, ids.count)]
                group.addTask { for id in batch { _ = try await writer.create(id: id, owner: "mis-1") } }
            }
            try await group.waitForAll()
        }

        let answers = NIOLockedValueBox<[HTTPLoad.Answer]>([])
        let kills = NIOLockedValueBox(0)
        let started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while ContinuousClock.now - started < .seconds(seconds) {
                    try? await Task.sleep(for: .milliseconds(500))
                    _ = try? await redis.command(["CLIENT", "KILL", "TYPE", "pubsub"])
                    kills.withLockedValue { $0 += 1 }
                }
            }
            // 50 long polls every 50 ms, each on its own job.
            for (tick, batch) in stride(from: 0, to: ids.count, by: 50).enumerated() {
                let due = started + .milliseconds(50 * tick)
                if due > ContinuousClock.now { try? await Task.sleep(until: due) }
                for id in ids[batch..<min(batch + 50, ids.count)] {
                    let request = HTTPTestClient.requestText("/api/jobs/\(id)?wait=\(wait)", token: Tokens.owner)
                    let port = front.port
                    group.addTask {
                        let answer = await HTTPLoad.send(request, port: port)
                        answers.withLockedValue { $0.append(answer) }
                    }
                }
            }
            await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        let all = answers.withLockedValue { $0 }
        let byStatus = Dictionary(grouping: all, by: \.status).mapValues(\.count)
        let times = all.map(\.elapsed).sorted()
        var leftover: Int64 = -1
        _ = await eventually(timeout: .seconds(10)) {
            var total: Int64 = 0
            for slice in stride(from: 0, to: ids.count, by: 1000) {
                let channels = ids[slice..<min(slice + 1000, ids.count)].map { "job:\($0)" }
                let counts = (try? await redis.command(["PUBSUB", "NUMSUB"] + channels).array) ?? []
                total += stride(from: 1, to: counts.count, by: 2).reduce(0) { $0 + (counts[$1].integer ?? 0) }
            }
            leftover = total
            return total == 0
        }
        print(
            "subscriber killed \(kills.withLockedValue { $0 }) times in \(seconds) s under \(all.count) long polls (wait=\(wait)) in \(elapsed): "
                + "by status \(byStatus.sorted { $0.key < $1.key }), answer time p50 \(times[times.count / 2]), "
                + "p99 \(times[times.count * 99 / 100]), max \(times.last!); subscriptions left: \(leftover)"
        )
        #expect(all.count == ids.count)
        #expect(byStatus[0] == nil, "every long poll is answered")
        #expect(times.last! <= .seconds(wait + 2), "within its wait + 2 s")
        #expect(leftover == 0)
        await self.stop(redis, front, writer)
    }
}
