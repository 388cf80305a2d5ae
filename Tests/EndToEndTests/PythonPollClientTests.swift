import Foundation
import JobStatusWriter
import RedisWire
import Testing

extension Tooling {
    /// examples/python/poll.py against a live front while a worker completes the job.
    @Suite("Python poll client example")
    struct PythonPollClientTests {
        private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../examples/python/poll.py").standardized.path

        /// Starts poll.py on `id` (or, with `--ids`, on none); its JSON lines are in the returned process's log.
        private func startClient(_ front: Front, id: String?, arguments: [String] = []) throws -> ChildProcess {
            try ChildProcess(
                name: "poll-\(id ?? "list")",
                executable: "/usr/bin/env",
                arguments: ["python3", Self.script, "--url", "http://127.0.0.1:\(front.port)", "--token", Tokens.owner, "--timeout", "30", "--verbose"]
                    + arguments + (id.map { [$0] } ?? []),
                directory: makeTemporaryDirectory("poll")
            )
        }

        /// Waits until the client has sent its `count`th request (its `--verbose` lines), so that a
        /// write meant to wake a waiting request cannot land before the slow start of a Python process.
        private func waitForRequest(_ client: ChildProcess, count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while client.log.components(separatedBy: "-> GET ").count - 1 < count {
                try #require(ContinuousClock.now < deadline, "poll.py sent fewer than \(count) requests: \(client.log)")
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        private func report(_ client: ChildProcess) async throws -> (status: Int32?, report: [String: Any]) {
            let status = await client.waitForExit()
            let line = client.log.split(separator: "\n").last.map(String.init) ?? ""
            let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "poll.py said: \(client.log)")
            return (status, report)
        }

        @Test("long polls: a job that progresses and completes takes a handful of requests; the 303 links are followed")
        func longPolls() async throws {
            let (redis, front, writer) = try await SharedEnvironment.shared.get()
            let result = uniqueID()
            _ = try await writer.create(id: result, owner: "mis-1")
            _ = try await writer.processed(id: result, responseData: #"{"answer":42}"#)
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1", eta: .after(.seconds(60)))

            let client = try self.startClient(front, id: id, arguments: ["--wait", "20", "--follow"])
            try await self.waitForRequest(client, count: 1)
            // The first request has no tag: the state its first read finds is what it waits to see
            // change. A progress written before that read (a loaded machine took more than the 300 ms
            // once) left it to its 20-s deadline; the front subscribes before it reads.
            #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
            try await Task.sleep(for: .milliseconds(300))
            _ = try await writer.progress(id: id, eta: .after(.seconds(5)))
            try await self.waitForRequest(client, count: 2)
            try await Task.sleep(for: .milliseconds(300))
            _ = try await writer.processed(id: id, links: [JobLink(entity: "job", href: "/api/jobs/\(result)")])

            let (status, report) = try await self.report(client)
            #expect(status == 0)
            #expect(report["status"] as? String == "processed")
            #expect(report["http_status"] as? Int == 303)
            let followed = try #require(report["followed"] as? [[String: Any]])
            #expect(followed.map { $0["status"] as? Int } == [200], "the link to the result job answers")
            // One request held until the progress (or answering it at once, had it come first), one
            // until completion, and the followed link; one more only if the loaded machine made Redis
            // time out (a 503, retried).
            let requests = try #require(report["requests"] as? Int)
            print("poll.py (long polls): \(requests) requests in \(report["seconds"] ?? "?") s, link followed")
            #expect(requests >= 3 && requests <= 4, "\(report)")
            #expect((report["seconds"] as? Double ?? 99) < 10, "the completion must wake the waiting request")
        }

        @Test("without long polls (polling.max_wait 0) the client sleeps Retry-After between polls")
        func retryAfter() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("nowait", redis: redis, environment: ["POLLING_MAX_WAIT": "0s"])
            defer { Task { await front.child.kill() } }
            let id = uniqueID()
            // An eta 1 s away: Retry-After is 1 (polling.retry_after_min).
            _ = try await writer.create(id: id, owner: "mis-1", eta: .after(.seconds(1)))
            let client = try self.startClient(front, id: id)
            try await self.waitForRequest(client, count: 1)
            try await Task.sleep(for: .milliseconds(2500))
            _ = try await writer.failed(id: id, statusCode: 404, error: .message("Patient not found"))

            let (status, report) = try await self.report(client)
            #expect(status == 2, "failed jobs exit 2")
            #expect(report["status"] as? String == "failed")
            let requests = try #require(report["requests"] as? Int)
            print("poll.py (Retry-After 1 s): \(requests) requests in \(report["seconds"] ?? "?") s")
            // About one poll per second over ~2.5 s, not a busy loop.
            #expect(requests >= 2 && requests <= 5, "\(report)")
        }

        @Test("a job that never finishes: the client gives up at its deadline, even while the server holds its requests")
        func deadline() async throws {
            let (_, front, writer) = try await SharedEnvironment.shared.get()
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1", eta: .after(.seconds(60)))
            let started = ContinuousClock.now
            let (status, report) = try await self.report(try self.startClient(front, id: id, arguments: ["--wait", "20", "--timeout", "2"]))
            let elapsed = ContinuousClock.now - started
            #expect(status == 1)
            #expect((report["error"] as? String)?.contains("deadline") == true, "\(report)")
            #expect((report["requests"] as? Int ?? 99) <= 3, "\(report)")
            #expect(elapsed < .seconds(10), "asked for wait=20 but must stop at about 2 s: \(elapsed)")
        }

        @Test("--ids: five jobs followed with one held request at a time, each printed as it finishes, in the order they finish")
        func list() async throws {
            let (_, front, writer) = try await SharedEnvironment.shared.get()
            let ids = (0..<5).map { _ in uniqueID() }
            for id in ids { _ = try await writer.create(id: id, owner: "mis-1", eta: .after(.seconds(60))) }
            let client = try self.startClient(front, id: nil, arguments: ["--wait", "20", "--ids", ids.joined(separator: ",")])
            // The worker finishes them in another order, with a progress write among them. The
            // client's first request is not held (it learns what is finished already); then one
            // held request per write.
            let order = [3, 0, 4, 1, 2]
            var sent = 1
            for (step, index) in order.enumerated() {
                sent += 1
                try await self.waitForRequest(client, count: sent)
                try await Task.sleep(for: .milliseconds(200))
                if step == 2 {
                    // Progress wakes the list too: it is asked again, with its tag.
                    _ = try await writer.progress(id: ids[1], eta: .after(.seconds(5)))
                    sent += 1
                    try await self.waitForRequest(client, count: sent)
                    try await Task.sleep(for: .milliseconds(200))
                }
                if index == 4 {
                    _ = try await writer.failed(id: ids[index], statusCode: 409, error: .message("a conflict"))
                } else {
                    _ = try await writer.processed(id: ids[index], responseData: #"{"n":\#(index)}"#)
                }
            }
            let status = await client.waitForExit()
            let lines = client.log.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let finished = lines.dropLast()
            let summary = try #require(lines.last, "poll.py said: \(client.log)")
            print("poll.py --ids: \(summary); finished in the order \(finished.map { ids.firstIndex(of: $0["id"] as? String ?? "") ?? -1 })")
            #expect(finished.map { $0["id"] as? String } == order.map { ids[$0] })
            #expect(finished.map { $0["status"] as? String } == ["processed", "processed", "failed", "processed", "processed"])
            #expect(status == 2, "one job failed")
            #expect(summary["jobs"] as? Int == 5)
            // The first request and one held request per write; one more only if the loaded machine
            // made Redis time out (a 503, retried).
            #expect((summary["requests"] as? Int ?? 99) <= 8, "\(summary)")
        }

        @Test("an unknown job: exit 1 with the error, after one request (and a retry per 503)")
        func refusals() async throws {
            let (_, front, _) = try await SharedEnvironment.shared.get()
            let client = try self.startClient(front, id: uniqueID())
            let (status, report) = try await self.report(client)
            #expect(status == 1)
            #expect((report["error"] as? String)?.contains("HTTP 404 not_found") == true, "\(report)")
            // One request, and one more for each 503 a loaded machine's Redis timeout caused (the
            // client retries those: `--verbose` shows them).
            let retried = client.log.components(separatedBy: "<- 503 ").count - 1
            #expect(report["requests"] as? Int == 1 + retried, "\(client.log)")
        }
    }
}
