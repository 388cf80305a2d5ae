import Foundation
import JobStatusWriter
import Testing

/// What a stranger can send that an honest client would not: each case provokes one defect of
/// issue 20 and prints the figure that shows it is bounded.
extension RedisOnly.HostileInputTests {
    @Test("a held job list wakes only on what its caller can see: another client's write, or another's job created under a listed id, leaves it to its deadline")
    func heldListForeignWrites() async throws {
        let (_, front, writer) = try await SharedEnvironment.shared.get()
        let mine = uniqueID()
        let theirs = uniqueID()
        let notYet = uniqueID()
        _ = try await writer.create(id: mine, owner: "mis-1")
        _ = try await writer.create(id: theirs, owner: "mis-2")
        let client = try front.client(timeout: .seconds(10))
        let target = "/api/jobs?ids=\(mine),\(theirs),\(notYet)&wait=3"
        let started = ContinuousClock.now
        try client.send(HTTPTestClient.requestText(target, token: Tokens.owner))
        try await Task.sleep(for: .milliseconds(300))
        _ = try await writer.progress(id: theirs)
        _ = try await writer.create(id: notYet, owner: "mis-2")
        _ = try await writer.processed(id: theirs, responseData: "{}")
        let answer = try await client.readResponse()
        let foreign = ContinuousClock.now - started
        #expect(answer.status == 200)
        #expect(foreign >= .milliseconds(2900), "answered at the deadline (3 s), not at another client's write: \(foreign)")

        // The caller's own write ends the same wait at once: asked with a wait of 10 s, so that
        // "at once" stays far from the deadline whatever the test process's stalls.
        let again = ContinuousClock.now
        try client.send(HTTPTestClient.requestText("/api/jobs?ids=\(mine),\(theirs),\(notYet)&wait=10", token: Tokens.owner))
        try await Task.sleep(for: .milliseconds(300))
        _ = try await writer.progress(id: mine)
        let woken = try await client.readResponse()
        let own = ContinuousClock.now - again
        #expect(woken.status == 200)
        #expect(own < .seconds(5), "the caller's own write answers the held list: \(own)")
        print("held list: three writes to jobs the caller cannot see answered at \(foreign) (deadline 3 s); its own write at \(own)")
    }

    @Test("silent connections are closed at the first-byte timeout; the per-address cap refuses the excess while another address is served")
    func silentConnections() async throws {
        let (redis, _, _) = try await SharedEnvironment.shared.get()
        let front = try await Front.start(
            "silent",
            redis: redis,
            environment: ["HTTP_HEADER_TIMEOUT": "1s", "HTTP_IDLE_TIMEOUT": "60s", "LIMITS_MAX_CONNECTIONS_PER_ADDRESS": "20"]
        )
        defer { Task { await front.child.kill() } }
        let since = ContinuousClock.now
        let silent = try (0..<20).map { _ in try front.client() }
        let excess = try front.client()
        let refusedAtOnce = await excess.isClosedByPeer(within: .milliseconds(500))
        #expect(refusedAtOnce, "the 21st connection from 127.0.0.1 is closed at once")
        let other = try HTTPTestClient(port: front.port, from: "127.0.0.2")
        let served = try await other.request("/health/live")
        #expect(served.status == 200, "another address is served while 127.0.0.1 holds its 20")
        var closed = 0
        for connection in silent where await connection.isClosedByPeer(within: .seconds(4) - (ContinuousClock.now - since)) {
            closed += 1
        }
        let released = ContinuousClock.now - since
        #expect(closed == silent.count)
        #expect(released < .seconds(3), "closed by http.header_timeout (1 s), not http.idle_timeout (60 s)")
        #expect(try await front.get("/health/live").status == 200, "127.0.0.1 has room again")
        print(
            "silent connections: 21st from one address refused at once (\(refusedAtOnce)); 127.0.0.2 served (\(served.status)); "
                + "\(closed) of 20 silent ones closed within \(released) (first-byte timeout 1 s)"
        )
    }

    @Test("/health/ready on the public port says only the status; why Redis is down is on the operator port and in the log")
    func readinessDetail() async throws {
        let redis = try await RedisServer.start("ready-detail")
        let single = try await Front.start("ready-public", redis: redis)
        let split = try await Front.start("ready-operator", redis: redis, environment: ["METRICS_PORT": "\(freePort())"])
        await redis.stop()
        defer { Task { await single.child.kill(); await split.child.kill() } }
        let onlyPort = try await single.get("/health/ready", token: nil)
        let apiPort = try await split.get("/health/ready", token: nil)
        let operatorPort = try await split.operatorReadiness()
        #expect(onlyPort.status == 503 && apiPort.status == 503 && operatorPort.status == 503)
        #expect(onlyPort.body == #"{"status":"unavailable"}"#, "metrics.port 0: \(onlyPort.body)")
        #expect(apiPort.body == #"{"status":"unavailable"}"#, "\(apiPort.body)")
        let reason = operatorPort.json?["reason"] as? String ?? ""
        #expect(reason.contains("127.0.0.1:\(redis.port)"), "\(operatorPort.body)")
        #expect(await eventually(timeout: .seconds(3)) { single.child.log.contains("127.0.0.1:\(redis.port)") }, "the reason is logged")
        print("readiness: public port \(onlyPort.body); operator port \(operatorPort.body)")
    }
}
