import Foundation
import Testing

extension LoadTests {
    /// The hostile-input cases that load the machine (a CPU comparison, 40 MB of oversized heads,
    /// heads of thousands of lines): in the load pass, one at a time, so that neither their
    /// figures nor the timing bounds of the suites that run beside them in the first pass (Redis
    /// heartbeats, Sentinel failover) depend on each other. The rest of the suite is `HostileInputTests`.
    @Suite("Hostile input: costly strangers", .serialized)
    struct HostileStrangers {
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
    }
}
