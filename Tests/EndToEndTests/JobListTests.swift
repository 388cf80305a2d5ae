import Foundation
import JobStatusWriter
import Testing

extension RedisOnly {
    /// `GET /api/jobs?ids=…`: many jobs in one request, and waiting for any of them, against a real
    /// Redis and a real front. Each test prints what it measured.
    @Suite("Job lists")
    struct JobListTests {
        private func environment() async throws -> (redis: RedisServer, front: Front, writer: JobWriter) {
            try await SharedEnvironment.shared.get()
        }

        private static func items(_ response: HTTPTestResponse) -> [[String: Any]] {
            response.json?["data"] as? [[String: Any]] ?? []
        }

        @Test("every item kind, in the order asked, each id once: an item is {id} plus what a poll of that job carries")
        func itemKinds() async throws {
            let (redis, front, writer) = try await self.environment()
            let pending = uniqueID("pending")
            let links = uniqueID("links")
            let inline = uniqueID("inline")
            let failed = uniqueID("failed")
            let invalid = uniqueID("invalid")
            let crashed = uniqueID("crashed")
            for id in [pending, links, inline, failed, invalid, crashed] { _ = try await writer.create(id: id, owner: "mis-1") }
            _ = try await writer.processed(id: links, links: [JobLink(entity: "encounter", href: "/api/encounters/1")])
            _ = try await writer.processed(id: inline, responseData: #"{"declaration_id":"d1"}"#)
            _ = try await writer.failed(id: failed, statusCode: 404, error: .message("no such patient"))
            let validation = #"{"type":"validation_failed","message":"m","invalid":[{"entry_type":"json_data_property","entry":"$.x","rules":[{"rule":"required","params":[],"description":"d"}]}]}"#
            _ = try await writer.failed(id: invalid, statusCode: 422, error: .json(validation))
            _ = try await writer.failedWithError(id: crashed, message: "the worker lost its database")
            let broken = uniqueID("broken")
            _ = try await redis.command(["HSET", "job:\(broken)", "status", "processed", "eta", "2026-01-01T00:00:00Z", "owner", "mis-1"])
            let jobs = [pending, links, inline, failed, invalid, crashed]
            let asked = jobs + [uniqueID("unknown"), "not.an.id", broken, links, pending]

            let response = try await front.get("/api/jobs?ids=" + asked.joined(separator: ","))
            #expect(response.status == 200)
            #expect(response.header("Cache-Control") == "no-cache")
            let meta = try #require(response.json?["meta"] as? [String: Any])
            #expect(meta["type"] as? String == "list")
            #expect(meta["code"] as? Int == 200)
            let items = Self.items(response)
            #expect(items.compactMap { $0["id"] as? String } == Array(asked.prefix(9)), "in order, repeats once")
            for (index, id) in jobs.enumerated() {
                var expected = try #require(try await front.get("/api/jobs/\(id)").json?["data"] as? [String: Any])
                expected["id"] = id
                #expect(NSDictionary(dictionary: items[index]).isEqual(to: expected), "\(id): \(items[index]) vs \(expected)")
            }
            #expect(items[6].count == 2 && items[6]["status"] as? String == "not_found")
            #expect(items[7].count == 2 && items[7]["status"] as? String == "not_found")
            #expect(items[8].count == 2 && items[8]["status"] as? String == "error", "a broken record spoils its item only")
            print("job list: \(asked.count) ids asked, \(items.count) items: \(items.map { $0["status"] as? String ?? "?" })")
        }

        @Test("unknown, expired, malformed and another client's ids: the same answer byte for byte, apart from the id")
        func notFoundIsOneAnswer() async throws {
            let (redis, front, writer) = try await self.environment()
            let expired = uniqueID("x")
            _ = try await writer.create(id: expired, owner: "mis-1")
            _ = try await redis.command(["DEL", "job:\(expired)"])
            let theirs = uniqueID("x")
            _ = try await writer.create(id: theirs, owner: "mis-2")
            let cases = [uniqueID("x"), expired, "x-\(String(repeating: "z", count: 70))", theirs]
            var bodies: [String] = []
            for id in cases {
                let response = try await front.get("/api/jobs?ids=\(id)", headers: [("X-Request-ID", "same-request-id-for-all")])
                #expect(response.status == 200)
                bodies.append(response.body.replacing(id, with: "<id>"))
            }
            print("job list not_found: \(bodies[0])")
            #expect(Set(bodies).count == 1, "\(bodies)")
            #expect(bodies[0].contains(#"{"id":"<id>","status":"not_found"}"#))
        }

        @Test("422: no ids, only empty elements, more distinct ids than polling.max_batch (100)")
        func validation() async throws {
            let (_, front, _) = try await self.environment()
            let hundred = (0..<100).map { "j\($0)" }.joined(separator: ",")
            for path in ["/api/jobs", "/jobs?ids=", "/api/jobs?ids=,%2C,", "/api/jobs?ids=\(hundred),j100"] {
                let response = try await front.get(path)
                #expect(response.status == 422, "\(path)")
                let error = try #require(response.json?["error"] as? [String: Any])
                let invalid = try #require((error["invalid"] as? [[String: Any]])?.first)
                #expect(invalid["entry_type"] as? String == "query_parameter")
                #expect(invalid["entry"] as? String == "ids")
            }
            #expect(try await front.get("/api/jobs?ids=\(hundred),j0,j99").status == 200, "100 distinct ids, repeats not counted")
            #expect(try await front.get("/api/jobs?ids=a", token: nil).status == 401)
            #expect(try await front.get("/api/jobs?ids=a", token: Tokens.noScope).status == 403)
            #expect(try await front.get("/api/jobs?ids=a&wait=x").status == 422)
        }

        @Test("the list's ETag: 304 while nothing changed, a new tag after any write; HEAD")
        func conditional() async throws {
            let (_, front, writer) = try await self.environment()
            let ids = (0..<3).map { _ in uniqueID() }
            for id in ids { _ = try await writer.create(id: id, owner: "mis-1") }
            let path = "/api/jobs?ids=" + ids.joined(separator: ",")
            let first = try await front.get(path)
            let tag = try #require(first.header("ETag"))
            #expect(try await front.get(path).header("ETag") == tag)
            let client = try front.client()
            let notModified = try await client.request(path, token: Tokens.owner, headers: [("If-None-Match", tag)])
            #expect(notModified.status == 304 && notModified.body.isEmpty)
            #expect(notModified.header("ETag") == tag)
            let head = try await client.request(path, method: "HEAD", token: Tokens.owner)
            #expect(head.status == 200 && head.header("ETag") == tag && head.body.isEmpty)
            _ = try await writer.progress(id: ids[2])
            let changed = try await client.request(path, token: Tokens.owner, headers: [("If-None-Match", tag)])
            #expect(changed.status == 200)
            #expect(changed.header("ETag") != tag)
        }

        @Test("a held list is answered by a write to any one of its jobs within 1 s; with its tag, by any change; at its deadline, 304")
        func heldList() async throws {
            let (redis, front, writer) = try await self.environment()
            let ids = (0..<5).map { _ in uniqueID() }
            for id in ids { _ = try await writer.create(id: id, owner: "mis-1") }
            let path = "/api/jobs?ids=" + ids.joined(separator: ",")

            // Without a tag: held while nothing is terminal.
            let client = try front.client(timeout: .seconds(15))
            try client.send(HTTPTestClient.requestText(path + "&wait=10", token: Tokens.owner))
            #expect(await eventually { (try? await redis.subscribers(of: "job:\(ids[3])")) == 1 }, "every job is watched")
            let written = ContinuousClock.now
            _ = try await writer.failed(id: ids[3], statusCode: 409, error: .message("conflict"))
            let answer = try await client.readResponse()
            let wokenAfter = ContinuousClock.now - written
            #expect(answer.status == 200)
            #expect(answer.header("Preference-Applied") == "wait=10")
            #expect(Self.items(answer)[3]["status"] as? String == "failed")
            // Half the 10 s deadline: the time around a request of this process includes its own
            // scheduling, over a second on a loaded machine.
            #expect(wokenAfter < .seconds(5))

            // With the tag: held while unchanged (a progress write is a change).
            let tag = try #require(answer.header("ETag"))
            try client.send(HTTPTestClient.requestText(path, token: Tokens.owner, headers: [("Prefer", "wait=10"), ("If-None-Match", tag)]))
            #expect(await eventually { (try? await redis.subscribers(of: "job:\(ids[0])")) == 1 })
            let progressed = ContinuousClock.now
            _ = try await writer.progress(id: ids[0])
            let second = try await client.readResponse()
            let progressAfter = ContinuousClock.now - progressed
            #expect(second.status == 200 && second.header("ETag") != tag)
            #expect(progressAfter < .seconds(5))

            // Nothing changes: 304 at the deadline, and every subscription is gone after.
            let started = ContinuousClock.now
            let timedOut = try await client.request(path + "&wait=1", token: Tokens.owner, headers: [("If-None-Match", second.header("ETag") ?? "")])
            let heldFor = ContinuousClock.now - started
            #expect(timedOut.status == 304)
            #expect(heldFor >= .milliseconds(950))
            #expect(await eventually { (try? await redis.subscribers(of: "job:\(ids[0])")) == 0 })
            print("job list long poll: woken \(wokenAfter) after a write to its 4th job (no tag), \(progressAfter) after a progress write (with its tag); held \(heldFor) without a change, then 304")
        }

        @Test("the per-client rate limit counts ids: a list of 96 costs what 96 polls cost")
        func rateLimit() async throws {
            // The bucket refills at 1/s while the test runs, several seconds on a loaded machine: the
            // list that must be refused asks for more than can have come back meanwhile.
            let (redis, front, writer) = try await PrivateEnvironment.start("list-rate", front: ["LIMITS_RATE": "1", "LIMITS_BURST": "100"])
            let started = ContinuousClock.now
            let ids = (0..<96).map { "r\($0)" }.joined(separator: ",")
            let first = try await front.get("/api/jobs?ids=\(ids)")
            let second = try await front.get("/api/jobs?ids=" + (0..<40).map { "s\($0)" }.joined(separator: ","))
            var polls: [Int] = []
            while polls.count < 60, polls.last != 429 {
                polls.append(try await front.get("/api/jobs/p\(polls.count)").status)
            }
            let took = Int((ContinuousClock.now - started).components.seconds)
            let allowed = polls.filter { $0 == 404 }.count
            print(
                "job list rate limit (100 burst, 1/s): a list of 96 → \(first.status), then a list of 40 → \(second.status) "
                    + "(Retry-After \(second.header("Retry-After") ?? "-")), then \(allowed) polls before a 429, in \(took) s"
            )
            #expect(first.status == 200)
            #expect(second.status == 429)
            #expect(polls.last == 429)
            #expect(allowed >= 4 && allowed <= 4 + took + 1, "4 tokens left after the list of 96, and what came back in \(took) s")
            await PrivateEnvironment.stop(redis, front, writer)
        }

        @Test("hostile lists: 100,000 ids in a 1 MiB request line are refused after the 101st, fast and without memory; held lists take one waiter slot each")
        func hostileLists() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start(
                "list-hostile",
                front: ["HTTP_MAX_HEADER_SIZE": "1048576", "LIMITS_MAX_WAITERS_PER_CLIENT": "2"]
            )
            let client = try front.client(timeout: .seconds(20))
            _ = try await client.request("/api/jobs?ids=warm-up", token: Tokens.owner)
            let idle = residentMegabytes(of: front.child.pid)
            // 100,000 distinct ids of 8 bytes: a request line of 900 KB.
            let many = (0..<100_000).map { String(format: "i%07d", $0) }.joined(separator: ",")
            // The same bytes to a path that reads no query: what receiving and decoding them costs.
            var times: [Duration] = []
            var baseline: [Duration] = []
            for _ in 0..<5 {
                var started = ContinuousClock.now
                let response = try await client.request("/api/jobs?ids=\(many)", token: Tokens.owner)
                times.append(ContinuousClock.now - started)
                #expect(response.status == 422)
                started = ContinuousClock.now
                #expect(try await client.request("/nothing-here?ids=\(many)", token: Tokens.owner).status == 404)
                baseline.append(ContinuousClock.now - started)
            }
            let peak = residentMegabytes(of: front.child.pid)
            // The largest list allowed: 100 ids of 64 characters, every one a job.
            let ids = (0..<100).map { "\($0)-" + String(repeating: "x", count: 64 - "\($0)-".count) }
            for id in ids { _ = try await writer.create(id: id, owner: "mis-1") }
            let started = ContinuousClock.now
            let largest = try await client.request("/api/jobs?ids=" + ids.joined(separator: ","), token: Tokens.owner)
            let largestTook = ContinuousClock.now - started

            // Held lists: each takes one of the client's two waiter slots, whatever its length.
            let holders = try (0..<2).map { _ in try front.client(timeout: .seconds(20)) }
            for holder in holders {
                try holder.send(HTTPTestClient.requestText("/api/jobs?wait=20&ids=" + ids.joined(separator: ","), token: Tokens.owner))
            }
            #expect(await eventually { ((try? await front.metric("jobstatus_waiters")) ?? 0) == 2 })
            let third = try await client.request("/api/jobs?wait=20&ids=\(ids[0])", token: Tokens.owner)
            _ = try await writer.processed(id: ids[7], responseData: "{}")
            let woken = try await holders.asyncMap { try await $0.readResponse().status }
            print(
                "hostile lists: 100,000 ids (900 KB) answered 422 in \(times.sorted()[2]) (median of 5; the same bytes to an unknown path \(baseline.sorted()[2])); front RSS \(Int(idle)) MB before, \(Int(peak)) MB after; "
                    + "the largest list allowed (100 ids of 64 characters) answered \(largest.status) in \(largestTook); "
                    + "two held lists of 100 ids hold 2 waiter slots, a third list answers \(third.status), the held ones \(woken) after one write"
            )
            #expect(times.sorted()[2] < baseline.sorted()[2] * 2 + .milliseconds(50), "reading the ids stops at the 101st")
            #expect(peak < idle + 50)
            #expect(largest.status == 200 && Self.items(largest).count == 100)
            #expect(third.status == 429)
            #expect(woken == [200, 200])
            await PrivateEnvironment.stop(redis, front, writer)
        }
    }
}

extension Array {
    /// Maps with an async transform, one element after another.
    fileprivate func asyncMap<Result>(_ transform: (Element) async throws -> Result) async rethrows -> [Result] {
        var results: [Result] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
