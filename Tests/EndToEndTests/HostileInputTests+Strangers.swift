import Foundation
import JobStatusWriter
import Testing

/// What a stranger can send that an honest client would not: each case provokes one defect of
/// issue 20 and prints the figure that shows it is bounded.
extension HostileInputTests {
    @Test("a job list refused before auth costs what any target of its length costs: 5,000 repeats beside a plain target, interleaved")
    func listedRepeatsCost() async throws {
        let (redis, _, _) = try await SharedEnvironment.shared.get()
        var figures: [String] = []
        for maxBatch in [100, 1000] {
            let front = try await Front.start(
                "ids-cost-\(maxBatch)",
                redis: redis,
                environment: ["POLLING_MAX_BATCH": "\(maxBatch)", "HTTP_MAX_HEADER_SIZE": "65536"]
            )
            defer { Task { await front.child.kill() } }
            let ids = (0..<100).map { "j\($0)" } + Array(repeating: "j0", count: 5000)
            let listTarget = "/api/jobs?ids=" + ids.joined(separator: ",")
            let plainPrefix = "/api/jobsx?q="
            let plainTarget = plainPrefix + String(repeating: "a", count: listTarget.utf8.count - plainPrefix.utf8.count)
            #expect(listTarget.utf8.count == plainTarget.utf8.count)
            // 50 pipelined requests a batch, no token: the list answers 401, the plain target
            // 404. What counts is the front's CPU time for the batch, not the client's.
            func batch(_ target: String, status: Int) async throws -> UInt64 {
                let client = try front.client(timeout: .seconds(30))
                let request = HTTPTestClient.requestText(target, token: nil)
                let before = front.child.cpuNanoseconds
                try client.send(String(repeating: request, count: 50))
                for _ in 0..<50 {
                    let response = try await client.readResponse()
                    #expect(response.status == status, "\(target.prefix(20))…")
                }
                return front.child.cpuNanoseconds - before
            }
            var list: UInt64 = 0
            var plain: UInt64 = 0
            for _ in 0..<3 {
                list += try await batch(listTarget, status: 401)
                plain += try await batch(plainTarget, status: 404)
            }
            let ratio = Double(list) / Double(max(plain, 1))
            figures.append(
                "max_batch \(maxBatch): \(listTarget.utf8.count)-byte targets, front CPU for 3 × 50 of each, interleaved: "
                    + "list \(list / 150 / 1000) µs per request, plain \(plain / 150 / 1000) µs per request, ratio \(String(format: "%.2f", ratio))"
            )
            #expect(ratio < 2, "a refused list of repeats costs \(ratio)× a plain target of its length")
        }
        print("ids cost before auth:\n  " + figures.joined(separator: "\n  "))
    }

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

        // The caller's own write ends the same wait at once.
        let again = ContinuousClock.now
        try client.send(HTTPTestClient.requestText(target, token: Tokens.owner))
        try await Task.sleep(for: .milliseconds(300))
        _ = try await writer.progress(id: mine)
        let woken = try await client.readResponse()
        let own = ContinuousClock.now - again
        #expect(woken.status == 200)
        #expect(own < .seconds(2), "the caller's own write answers the held list: \(own)")
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

    @Test("20 clients sending a 2 MB head each read their 431: the front lingers after the answer instead of resetting it away")
    func oversizedHeadsReadTheirAnswer() async throws {
        let (redis, _, _) = try await SharedEnvironment.shared.get()
        let front = try await Front.start("linger", redis: redis, environment: ["HTTP_MAX_HEADER_SIZE": "16384"])
        defer { Task { await front.child.kill() } }
        let head = Array("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 2 << 20)
            + Array("\r\n\r\n".utf8)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        let client = try front.client(timeout: .seconds(10))
                        try client.send(head)
                        return "\(try await client.readResponse().status)"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var outcomes: [String] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let answered = outcomes.filter { $0 == "431" }.count
        print("2 MB heads: \(answered) of 20 clients read their 431; others: \(outcomes.filter { $0 != "431" })")
        #expect(answered == 20)
        #expect(try await front.get("/health/live").status == 200)
    }

    @Test("http.max_header_size counts the head as sent: thousands of tiny lines are refused, the largest head accepted is within the limit")
    func headSizeOnTheWire() async throws {
        let (redis, _, _) = try await SharedEnvironment.shared.get()
        let front = try await Front.start("head-size", redis: redis, environment: ["HTTP_MAX_HEADER_SIZE": "16384"])
        defer { Task { await front.child.kill() } }
        func head(lines: Int) -> String {
            "GET /health/live HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X:\r\n", count: lines) + "\r\n"
        }
        func status(lines: Int) async throws -> Int {
            let client = try front.client()
            try client.send(head(lines: lines))
            return try await client.readResponse().status
        }
        #expect(try await status(lines: 16_000) == 431, "a 64 KB head of 16,000 `X:` lines")
        // Blanks before a value are dropped by the parser: they count all the same.
        let padded = try front.client()
        try padded.send("GET /health/live HTTP/1.1\r\nHost: x\r\nX:" + String(repeating: " ", count: 1 << 20) + "v\r\n\r\n")
        let paddedStatus = try await padded.readResponse().status
        #expect(paddedStatus == 431, "a header value behind 1 MiB of blanks")
        // The largest accepted count of lines, by bisection.
        var accepted = 0
        var refused = 16_000
        while refused - accepted > 1 {
            let middle = (accepted + refused) / 2
            if try await status(lines: middle) == 200 { accepted = middle } else { refused = middle }
        }
        let largest = head(lines: accepted).utf8.count
        print(
            "head size: the largest head accepted is \(largest) bytes on the wire (\(accepted) `X:` lines; limit 16384); "
                + "\(head(lines: 16_000).utf8.count) bytes refused; 1 MiB of blanks before a value: \(paddedStatus)"
        )
        #expect(largest <= 16384 && largest > 16384 - 4)
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
