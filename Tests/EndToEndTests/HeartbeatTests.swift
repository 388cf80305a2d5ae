import Foundation
import JobStatusWriter
import RedisWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension RedisOnly {
    /// Networks that drop idle flows without a FIN: a proxy of the test's own stands between the front
    /// and Redis and silently stops forwarding (scripts/testing/blackhole_proxy.py). The heartbeat keeps
    /// a flow alive, and finds a dead one within `redis.heartbeat` + `redis.timeout`.
    @Suite("Redis heartbeats", .serialized)
    struct HeartbeatTests {
        /// The proxy, as a child process.
        final class BlackholeProxy: Sendable {
            let port: Int
            let child: ChildProcess

            init(to target: Int, idleSeconds: Double) async throws {
                self.port = freePort()
                self.child = try await TestScript.start(
                    "blackhole_proxy.py",
                    name: "blackhole-\(self.port)",
                    arguments: [String(self.port), String(target), String(idleSeconds)],
                    directory: makeTemporaryDirectory("blackhole")
                )
            }

            /// Every flow open now stops forwarding (SIGUSR1), or only the subscriber's (SIGUSR2),
            /// once they are idle (0.3 s without a byte, no reply awaited): returns when the proxy
            /// says they are dead. The front then has no command to time out, only its heartbeats.
            func blackhole(subscriberOnly: Bool = false) async throws {
                let announced = self.announcements
                self.child.signal(subscriberOnly ? SIGUSR2 : SIGUSR1)
                guard await eventually(timeout: .seconds(5), { self.announcements > announced }) else {
                    throw TestFailure("the proxy did not blackhole the flows within 5 s:\n\(self.child.log)")
                }
            }

            private var announcements: Int {
                self.child.log.split(separator: "\n").filter { $0.hasPrefix("blackholed ") }.count
            }

            func stop() async {
                await self.child.kill()
            }
        }

        @Test("a flow a NAT drops after 3 s idle: with heartbeats every poll after 10 s of silence answers 200; without, 503")
        func keepsFlowsAlive() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let proxy = try await BlackholeProxy(to: redis.port, idleSeconds: 3)
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            var statuses: [String: [Int]] = [:]
            for heartbeat in ["1s", "0s"] {
                let front = try await Front.start(
                    "heartbeat-\(heartbeat)",
                    redisURL: "redis://127.0.0.1:\(proxy.port)",
                    environment: ["REDIS_HEARTBEAT": heartbeat, "HTTP_THREADS": "1"]
                )
                #expect(try await front.get("/api/jobs/\(id)").status == 200)
                try await Task.sleep(for: .seconds(10))
                var answers: [Int] = []
                for _ in 0..<3 { answers.append(try await front.get("/api/jobs/\(id)").status) }
                statuses[heartbeat] = answers
                await front.child.kill()
            }
            await proxy.stop()
            print("heartbeat behind a NAT dropping flows idle for 3 s, 3 polls after 10 s of silence: with REDIS_HEARTBEAT=1s \(statuses["1s"]!), without \(statuses["0s"]!)")
            #expect(statuses["1s"] == [200, 200, 200])
            #expect(statuses["0s"]?.first == 503, "the proxy must really drop the idle flow, or this test proves nothing")
        }

        @Test("every flow dies silently: a held long poll is answered within heartbeat + timeout + 1 s of a write; polls work again")
        func findsDeadFlows() async throws {
            for subscriberOnly in [false, true] {
                let (redis, _, writer) = try await SharedEnvironment.shared.get()
                let proxy = try await BlackholeProxy(to: redis.port, idleSeconds: 0)
                let front = try await Front.start(
                    "dead-flows",
                    redisURL: "redis://127.0.0.1:\(proxy.port)",
                    environment: Front.accessLog.merging(["REDIS_HEARTBEAT": "1s", "REDIS_TIMEOUT": "500ms", "HTTP_THREADS": "1"]) { $1 }
                )
                let id = uniqueID()
                _ = try await writer.create(id: id, owner: "mis-1")
                let waiter = try front.client(timeout: .seconds(30))
                let requestID = "dead-flows-\(id)"
                try waiter.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=25", token: Tokens.owner, headers: [("X-Request-ID", requestID)]))
                #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
                // The front reads the job once subscribed: the proxy lets that read through before
                // the flows die, else the read's own timeout would find its connection dead.
                try await proxy.blackhole(subscriberOnly: subscriberOnly)
                try await Task.sleep(for: .milliseconds(200))
                // Written past the proxy: the change is published on a flow that no longer forwards.
                let writing = Date()
                _ = try await writer.processed(id: id, responseData: #"{"done":true}"#)
                let written = Date()
                let answer = try await waiter.readResponse()
                // The front's own instant of the answer (its access log), from the acknowledged write:
                // the test process's stalls around it only shorten the figure.
                let answeredAt = await front.loggedInstant(of: "request", containing: requestID, since: writing)
                let woke = try #require(answeredAt, "the held long poll is in the access log").timeIntervalSince(written)
                // Every dead connection is found by a timeout. The subscriber sends nothing but
                // heartbeats once subscribed, so its death is always a heartbeat's. The command
                // connection is idle too when it dies (the proxy waits for that), so its heartbeat
                // finds it, unless the subscriber's is found first: then the waiter's re-read is the
                // first command on it, and that read's timeout finds it (as designed; the read is
                // answered 503). A poll in the meantime may meet one not found yet, as without any.
                let dead = subscriberOnly ? 1.0 : 2.0
                let timeouts = #"jobstatus_redis_errors_total{kind="timeout"}"#
                let found = await eventually(timeout: .seconds(5)) {
                    guard let scrape = try? await front.metrics() else { return false }
                    return (scrape.value("jobstatus_redis_heartbeat_failures_total") ?? 0) >= 1 && (scrape.value(timeouts) ?? 0) >= dead
                }
                #expect(found, "every dead connection is found by a timeout, the subscriber's by a heartbeat")
                var polls: [Int] = []
                for _ in 0..<3 { polls.append(try await front.get("/api/jobs/\(id)").status) }
                let scrape = try await front.metrics()
                let failures = scrape.value("jobstatus_redis_heartbeat_failures_total") ?? 0
                let timedOut = scrape.value(timeouts) ?? 0
                print(
                    "dead flows (\(subscriberOnly ? "the subscriber's only" : "every one")), REDIS_HEARTBEAT=1s, REDIS_TIMEOUT=500ms: "
                        + "the held long poll answered \(answer.status) \(woke) s after the write (the front's log); polls then \(polls); "
                        + "connections found dead by a timeout \(Int(timedOut)), by a heartbeat \(Int(failures))"
                )
                if subscriberOnly {
                    #expect(answer.status == 200)
                    #expect(answer.body.contains("processed"))
                } else {
                    // Its re-read may meet a command connection the heartbeat has not found dead yet:
                    // then it is a 503 with Retry-After, which is an answer too.
                    #expect(answer.status == 200 || answer.status == 503, "\(answer.status)")
                }
                #expect(woke <= 1 + 0.5 + 1 + 0.5, "heartbeat + redis.timeout + 1 s (and the half-beat the check may wait)")
                #expect(polls == [200, 200, 200])
                #expect(failures >= 1 && timedOut >= dead)
                await front.child.kill()
                await proxy.stop()
            }
        }
    }
}
