import Foundation
import JobStatusWriter
import Testing

extension RedisOnly {
    /// What operators see and rely on: metrics, structured logs, and the per-client limits.
    @Suite("Operations: metrics, logs, limits", .serialized)
    struct OperationsTests {
        @Test("/metrics: Prometheus text with requests by route and status, latencies, Redis, build info; no token")
        func metrics() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("metrics", redis: redis)
            defer { Task { await front.child.kill() } }
            let id = uniqueID()
            _ = try await writer.create(id: id)
            _ = try await front.get("/api/jobs/\(id)")
            _ = try await front.get("/api/jobs/\(uniqueID())")
            _ = try await front.get("/api/jobs/\(id)", token: nil)
            _ = try await front.get("/api/jobs/\(id)?wait=0")
            _ = try await front.get("/api/jobs?ids=\(id),\(uniqueID()),\(id)")
            _ = try await writer.processed(id: id, responseData: "{}")
            _ = try await front.get("/api/jobs/\(id)?wait=5")
            let response = try await front.get("/metrics", token: nil)
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            for expected in [
                #"jobstatus_http_requests_total{route="job",status="200"} 2"#,
                #"jobstatus_http_requests_total{route="jobs",status="200"} 1"#,
                #"jobstatus_http_requests_total{route="job_wait",status="200"} 1"#,
                #"jobstatus_polls_total{state="pending"} 3"#, #"jobstatus_polls_total{state="not_found"} 2"#,
                #"jobstatus_polls_total{state="processed"} 1"#, #"jobstatus_polls_total{state="failed"} 0"#,
                "jobstatus_redis_ready 1", "jobstatus_http_connections_limit 20000", #"jobstatus_redis_errors_total{kind="timeout"} 0"#,
                "jobstatus_rate_limited_total 0", "jobstatus_http_connections_refused_total 0",
                #"jobstatus_http_requests_total{route="job",status="404"} 1"#,
                #"jobstatus_http_requests_total{route="job",status="401"} 1"#,
                "jobstatus_http_request_duration_seconds_bucket{route=\"job\"", "jobstatus_redis_command_duration_seconds_count",
                "jobstatus_build_info{version=", "jobstatus_http_connections",
            ] {
                #expect(response.body.contains(expected), "\(expected) missing")
            }
            #expect(!response.body.contains("token-of"), "no secret ever reaches the metrics")
        }

        @Test("jobstatus_redis_ready: 0 soon after Redis stops (sampled every second), 1 again once it is back")
        func readinessGauge() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("ready-gauge")
            #expect(try await front.metric("jobstatus_redis_ready") == 1)
            await redis.stop()
            let stopped = ContinuousClock.now
            let down = await eventually(timeout: .seconds(5)) { (try? await front.metric("jobstatus_redis_ready")) == 0 }
            let downAfter = ContinuousClock.now - stopped
            try await redis.restart()
            let restarted = ContinuousClock.now
            let up = await eventually(timeout: .seconds(10)) { (try? await front.metric("jobstatus_redis_ready")) == 1 }
            print("jobstatus_redis_ready: 0 \(downAfter) after Redis stopped, 1 \(ContinuousClock.now - restarted) after it restarted")
            // Sampled every second, read through the test's own scrapes: 5 s tells "follows Redis"
            // from "stuck", whatever the test process's stalls.
            #expect(down && downAfter < .seconds(5))
            #expect(up)
            await PrivateEnvironment.stop(redis, front, writer)
        }

        @Test("metrics.port: metrics and health on the operator port only, jobs on the public port only")
        func operatorPort() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let operatorPort = freePort()
            let front = try await Front.start("operator", redis: redis, environment: ["METRICS_PORT": "\(operatorPort)"])
            defer { Task { await front.child.kill() } }
            let id = uniqueID()
            _ = try await writer.create(id: id)
            #expect(try await front.get("/metrics", token: nil).status == 404)
            #expect(try await front.get("/api/jobs/\(id)").status == 200)
            let operatorClient = try HTTPTestClient(port: operatorPort)
            #expect(try await operatorClient.request("/metrics").status == 200)
            #expect(try await operatorClient.request("/health/ready").status == 200)
            #expect(try await operatorClient.request("/api/jobs/\(id)", token: Tokens.owner).status == 404)
        }

        @Test("metrics.enabled false: no /metrics route; jobs are served as usual")
        func metricsDisabled() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("nometrics", redis: redis, environment: ["METRICS_ENABLED": "false"])
            defer { Task { await front.child.kill() } }
            let id = uniqueID()
            _ = try await writer.create(id: id)
            #expect(try await front.get("/api/jobs/\(id)").status == 200)
            let metrics = try await front.get("/metrics", token: nil)
            #expect(metrics.status == 404)
            #expect(metrics.body.contains("Route not found"))
        }

        @Test("rate limit: beyond the burst a client gets 429 too_many_requests with Retry-After; others are not affected")
        func rateLimit() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("ratelimit", redis: redis, environment: ["LIMITS_RATE": "1", "LIMITS_BURST": "5"])
            defer { Task { await front.child.kill() } }
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let client = try front.client()
            // Nine requests in one write, for an id that cannot exist (the limit is applied before the
            // id is looked at, and such an id is answered 404 without Redis): the front decides them
            // within milliseconds however slowly this process or the shared Redis runs, so no token
            // comes back meanwhile (one a second). Sent one by one, a loaded run once let the sixth
            // through; pipelined polls of a real job each wait for their Redis read, which a loaded
            // shared Redis can stretch over a refill too.
            try client.send(String(repeating: HTTPTestClient.requestText("/api/jobs/not.an.id", token: Tokens.owner), count: 9))
            var responses: [HTTPTestResponse] = []
            for _ in 0..<9 {
                responses.append(try await client.readResponse())
            }
            let statuses = responses.map(\.status)
            #expect(statuses.prefix(5).allSatisfy { $0 == 404 }, "\(statuses)")
            #expect(statuses.suffix(4).allSatisfy { $0 == 429 }, "\(statuses)")
            let limited = responses[8]
            #expect((limited.json?["error"] as? [String: String])?["type"] == "too_many_requests")
            #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
            #expect(try await front.get("/api/jobs/\(id)", token: Tokens.other).status == 200, "another client has its own bucket")
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await client.request("/api/jobs/\(id)", token: Tokens.owner).status == 200, "the bucket refills")
            #expect(try await front.get("/metrics", token: nil).body.contains("jobstatus_rate_limited_total"))
        }

        @Test("limits: waiting requests per client")
        func waiters() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("waiters", redis: redis, environment: ["LIMITS_MAX_WAITERS_PER_CLIENT": "2"])
            defer { Task { await front.child.kill() } }
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let waiters = try (0..<2).map { _ in try front.client() }
            for waiter in waiters {
                try waiter.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=10", token: Tokens.owner))
            }
            try await Task.sleep(for: .milliseconds(300))
            let third = try await front.get("/api/jobs/\(id)?wait=10")
            #expect(third.status == 429, "a third waiting request of the same client")
            #expect((third.json?["error"] as? [String: String])?["type"] == "too_many_requests")
            #expect(try await front.get("/api/jobs/\(id)?wait=1", token: Tokens.other).status == 200, "other clients may wait")
            _ = try await writer.progress(id: id)
            for waiter in waiters {
                #expect(try await waiter.readResponse().status == 200)
            }
            #expect(try await front.get("/api/jobs/\(id)?wait=1").status == 200, "the count went down again")
        }

        @Test("limits: connections per instance; beyond the limit a connection is closed at once")
        func connections() async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("connections", redis: redis, environment: ["LIMITS_MAX_CONNECTIONS": "2"])
            defer { Task { await front.child.kill() } }
            // Front.start's readiness probe may still count as open until the server has seen its close,
            // and then a new connection is refused: try again until two are held and served.
            func servedClient() async throws -> HTTPTestClient {
                for _ in 0..<50 {
                    let client = try front.client()
                    if (try? await client.request("/health/live"))?.status == 200 { return client }
                    try await Task.sleep(for: .milliseconds(100))
                }
                throw TestFailure("no connection was served within 5 s")
            }
            var held = [try await servedClient(), try await servedClient()]
            let refused = try front.client()
            #expect(await refused.isClosedByPeer(within: .seconds(2)))
            held.removeLast()
            #expect(await eventually { (try? await front.get("/health/live"))?.status == 200 }, "a place is free again")
            _ = held
        }

        @Test("log.format json: every line is one JSON object; request lines carry the request id")
        func jsonLogs() async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("jsonlogs", redis: redis, environment: ["LOG_FORMAT": "json", "LOG_ACCESS": "true"])
            _ = try await front.get("/api/jobs/\(uniqueID())", headers: [("X-Request-ID", "trace-me-1")])
            _ = try await front.get("/api/jobs/x", token: "secret-token-never-logged")
            #expect(await front.terminate() == 0)
            let lines = front.child.log.split(separator: "\n").filter { !$0.isEmpty }
            #expect(lines.count >= 3)
            for line in lines {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
            }
            let request = lines.first { $0.contains("trace-me-1") }
            #expect(request?.contains(#""request_id":"trace-me-1""#) == true)
            #expect(request?.contains(#""status":"404""#) == true)
            #expect(!front.child.log.contains("secret-token-never-logged"), "tokens never reach the log")
        }
    }
}
