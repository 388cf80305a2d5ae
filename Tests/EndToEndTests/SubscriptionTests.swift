import Foundation
import JobStatusWriter
import RedisWire
import Testing

extension RedisOnly {
    /// What waiting costs Redis, and what happens when the subscriber connection goes away.
    @Suite("Subscriptions behind long polls and streams", .serialized)
    struct SubscriptionTests {
        @Test("many waiters on one job share one subscription; it goes when the last waiter leaves early")
        func sharedAndReleased() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("subscriptions", front: ["POLLING_HEARTBEAT": "500ms"])
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
            await PrivateEnvironment.stop(redis, front, writer)
        }

        @Test("a subscription lingers 2 s after its last waiter: the client's next long poll costs no SUBSCRIBE; then it goes")
        func lingers() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("subscription-linger", front: Front.accessLog)
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let client = try front.client(timeout: .seconds(20))
            let subscribesBefore = try await redis.calls(of: "subscribe")
            // With the tag of what it has, a long poll whose write lands before its first read (the
            // lingering subscription makes the check below pass at once) answers from that read
            // instead of waiting out its 20 s.
            var tag = try await client.request("/api/jobs/\(id)", token: Tokens.owner).header("ETag") ?? ""
            let started = Date()
            for round in 0..<5 {
                try client.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=20", token: Tokens.owner, headers: [("If-None-Match", tag), ("X-Request-ID", "linger-\(round)")]))
                #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
                _ = try await writer.progress(id: id)
                let answer = try await client.readResponse()
                #expect(answer.status == 200, "round \(round)")
                tag = answer.header("ETag") ?? ""
            }
            #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 0 })
            let unsubscribed = Date()
            // The linger runs from the front's answer: its access log's instant, which this process
            // cannot read late (it read the answer 1.46 s late once); seen late, the unsubscription
            // only makes the figure longer.
            let answered = try #require(await front.loggedInstant(of: "request", containing: #""request_id":"linger-4""#, since: started))
            let gone = unsubscribed.timeIntervalSince(answered)
            let subscribes = try await redis.calls(of: "subscribe") - subscribesBefore
            print("subscription linger: 5 long polls in a row cost \(subscribes) SUBSCRIBE; unsubscribed \(gone) s after the last answer (the front's log)")
            #expect(subscribes == 1)
            #expect(gone >= 1.5 && gone < 10, "lingered (2 s), then went")
            await PrivateEnvironment.stop(redis, front, writer)
        }

        @Test("the subscriber connection drops: the subscription is made again, the waiter re-checks its unchanged job and keeps waiting, and the next write wakes it")
        func subscriberLoss() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("subscriber-loss", front: ["POLLING_HEARTBEAT": "500ms"])
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let waiter = try front.client(timeout: .seconds(20))
            try waiter.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=20", token: Tokens.owner))
            #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
            let subscribesBefore = try await redis.calls(of: "subscribe")
            let readsBefore = try await redis.calls(of: "hmget")
            let killed = ContinuousClock.now
            _ = try await redis.command(["CLIENT", "KILL", "TYPE", "pubsub"])
            let remade = await eventually {
                let subscribes = (try? await redis.calls(of: "subscribe")) ?? 0
                let subscribers = try? await redis.subscribers(of: "job:\(id)")
                return subscribes > subscribesBefore && subscribers == 1
            }
            #expect(remade, "subscribed again on the new connection")
            #expect(await eventually { ((try? await redis.calls(of: "hmget")) ?? 0) > readsBefore }, "the waiter re-checked its job")
            print("subscriber connection killed: subscription made again and the waiter's job re-checked \(ContinuousClock.now - killed) later")
            try await Task.sleep(for: .milliseconds(300))
            let written = ContinuousClock.now
            _ = try await writer.progress(id: id)
            let response = try await waiter.readResponse()
            #expect(response.status == 200)
            #expect(response.header("ETag")?.hasPrefix("W/\"2.") == true, "answered with the write, not at the loss")
            // Half the wait (20 s): woken by the write, not by the deadline, whatever the test
            // process's own stalls around it.
            #expect(ContinuousClock.now - written < .seconds(10))
            await PrivateEnvironment.stop(redis, front, writer)
        }

        @Test("Redis dies under a parked long poll and stays down: the poll stays open and answers 503 at its deadline, not at the loss")
        func subscriberGoneForGood() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("subscriber-gone")
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let waiter = try front.client(timeout: .seconds(20))
            let readsBefore = try await redis.calls(of: "hmget")
            let asked = ContinuousClock.now
            try waiter.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=3", token: Tokens.owner))
            #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
            // Parked: its first read, which follows the subscription, has been answered. (Redis dying
            // during that read answers 503 at once, as a plain poll's would: not this case.)
            #expect(await eventually { ((try? await redis.calls(of: "hmget")) ?? 0) > readsBefore })
            let sent = ContinuousClock.now
            await redis.stop()
            let response = try await waiter.readResponse()
            let answeredAfter = ContinuousClock.now - sent
            print("subscriber gone for good: the parked long poll (wait=3) answered \(response.status) \(answeredAfter) after Redis died")
            #expect(response.status == 503)
            #expect(response.header("Retry-After") != nil)
            // Its deadline runs from its arrival, which the test's waits above may have delayed Redis'
            // death past: counted from the request, it is 3 s whatever they took.
            #expect(ContinuousClock.now - asked > .milliseconds(2900), "held until its deadline, not answered at the loss")
            #expect(answeredAfter < .seconds(5), "answered at its deadline")
            await PrivateEnvironment.stop(redis, front, writer)
        }

        @Test("event streams send heartbeats, and end with a 'gone' event when the job expires")
        func heartbeatAndExpiry() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("heartbeat", front: ["POLLING_HEARTBEAT": "500ms"])
            let id = uniqueID()
            // A TTL well past the first heartbeat (500 ms), whatever the test process's stalls
            // before the stream opens; then a heartbeat every 500 ms until the job is gone.
            _ = try await writer.create(id: id, ttl: .seconds(4))
            let client = try front.client(timeout: .seconds(10))
            try client.send(HTTPTestClient.requestText("/api/jobs/\(id)/events", token: Tokens.owner))
            _ = try await client.readStreamHead()
            #expect(try await client.readChunk().contains("id: 1"))
            #expect(try await client.readChunk() == ": heartbeat\n\n")
            var sawGone = false
            for _ in 0..<30 {
                let chunk = try await client.readChunk()
                if chunk.isEmpty { break }
                if chunk.contains("event: gone") {
                    sawGone = true
                    #expect(chunk.contains("not_found"))
                }
            }
            #expect(sawGone)
            await PrivateEnvironment.stop(redis, front, writer)
        }
    }
}
