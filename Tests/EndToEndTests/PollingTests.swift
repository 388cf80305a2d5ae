import Foundation
import JobStatusWriter
import Testing

extension RedisOnly {
    /// Cheap polls (ETag, 304, Retry-After, Cache-Control) and waiting instead of polling.
    @Suite("Conditional requests and long polls")
    struct PollingTests {
        private func environment() async throws -> (redis: RedisServer, front: Front, writer: JobWriter) {
            try await SharedEnvironment.shared.get()
        }

        @Test("ETag names the state, not the request; If-None-Match answers 304 without a body")
        func etags() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let first = try await front.get("/api/jobs/\(id)", headers: [("X-Request-ID", "a")])
            let second = try await front.get("/api/jobs/\(id)", headers: [("X-Request-ID", "b")])
            let tag = try #require(first.header("ETag"))
            #expect(tag.hasPrefix("W/\""))
            #expect(second.header("ETag") == tag, "same state, same tag, although request_id differs")
            #expect(first.body != second.body)

            let client = try front.client()
            let notModified = try await client.request("/api/jobs/\(id)", token: Tokens.owner, headers: [("If-None-Match", tag)])
            #expect(notModified.status == 304)
            #expect(notModified.body.isEmpty)
            #expect(notModified.header("ETag") == tag)
            #expect(notModified.header("Content-Length") == nil)
            #expect(notModified.header("Cache-Control") == "no-cache")
            #expect(notModified.header("Retry-After") != nil)
            // The connection stays in step after a bodiless 304.
            #expect(try await client.request("/api/jobs/\(id)", token: Tokens.owner, headers: [("If-None-Match", "*")]).status == 304)
            #expect(try await client.request("/api/jobs/\(id)", method: "HEAD", token: Tokens.owner, headers: [("If-None-Match", tag)]).status == 304)

            _ = try await writer.progress(id: id)
            let changed = try await front.get("/api/jobs/\(id)", headers: [("If-None-Match", tag)])
            #expect(changed.status == 200, "a stale tag gets the normal response")
            #expect(changed.header("ETag") != tag)
            #expect(try await front.get("/api/jobs/\(id)", headers: [("If-None-Match", #"W/"0.0", "nonsense""#)]).status == 200)
            #expect(try await front.get("/api/jobs/\(uniqueID())", headers: [("If-None-Match", "*")]).status == 404)
        }

        @Test("Cache-Control: no-cache while pending, private with max-age once terminal, no-store on errors")
        func cacheControl() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            #expect(try await front.get("/api/jobs/\(id)").header("Cache-Control") == "no-cache")
            _ = try await writer.processed(id: id, links: [JobLink(entity: "e", href: "/h")])
            let terminal = try await front.get("/api/jobs/\(id)")
            #expect(terminal.header("Cache-Control") == "private, max-age=3600")
            #expect(terminal.header("Retry-After") == nil)
            #expect(try await front.get("/api/jobs/\(uniqueID())").header("Cache-Control") == "no-store")
        }

        @Test("Retry-After while pending: seconds until the eta, clamped to [1, 30]")
        func retryAfter() async throws {
            let (_, front, writer) = try await self.environment()
            let cases: [(JobETA, ClosedRange<Int>)] = [
                (.after(.seconds(10)), 9...10), (.after(.seconds(3600)), 30...30),
                (.at(Date(timeIntervalSinceNow: -60)), 1...1),
            ]
            for (eta, expected) in cases {
                let id = uniqueID()
                let started = ContinuousClock.now
                _ = try await writer.create(id: id, eta: eta)
                let retryAfter = Int(try await front.get("/api/jobs/\(id)").header("Retry-After") ?? "") ?? -1
                // The eta counts down while the test runs: seconds it took (several on a loaded
                // machine) lower the answer as much, down to the clamp.
                let took = Int((ContinuousClock.now - started).components.seconds)
                let allowed = max(1, min(expected.lowerBound - took, expected.lowerBound))...expected.upperBound
                #expect(allowed.contains(retryAfter), "\(eta): \(retryAfter) after \(took) s")
            }
        }

        @Test("long poll: a pending job's request is answered when the record changes")
        func wakeUp() async throws {
            let (redis, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let client = try front.client(timeout: .seconds(15))
            try client.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=10", token: Tokens.owner))
            #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 }, "the request is parked")
            let written = ContinuousClock.now
            _ = try await writer.processed(id: id, links: [JobLink(entity: "encounter", href: "/e/1")])
            let response = try await client.readResponse()
            // Bounds around a request of this process include its own scheduling (over a second
            // was seen on a loaded machine): half the deadline tells a wake-up from a timeout.
            #expect(ContinuousClock.now - written < .seconds(5), "woken by the write, not the 10 s deadline")
            #expect(response.status == 303)
            #expect(response.header("Preference-Applied") == "wait=10")
            #expect(response.body.contains("/e/1"))
        }

        @Test("long poll: nothing changes, the request is answered at the deadline as a plain poll")
        func deadline() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let client = try front.client(timeout: .seconds(10))
            let started = ContinuousClock.now
            let response = try await client.request("/api/jobs/\(id)", token: Tokens.owner, headers: [("Prefer", "respond-async, wait=1")])
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 200)
            #expect(response.header("Preference-Applied") == "wait=1")
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(3), "\(elapsed)")
        }

        @Test("long poll with If-None-Match: held while unchanged, answered when it changes")
        func conditionalWait() async throws {
            let (redis, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let tag = try #require(try await front.get("/api/jobs/\(id)").header("ETag"))
            let client = try front.client(timeout: .seconds(15))
            try client.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=10", token: Tokens.owner, headers: [("If-None-Match", tag)]))
            #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 }, "the request is parked")
            _ = try await writer.progress(id: id, eta: .after(.seconds(5)))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("ETag") != tag)

            // Unchanged until the deadline: 304.
            let newTag = try #require(response.header("ETag"))
            let started = ContinuousClock.now
            let unchanged = try await client.request("/api/jobs/\(id)?wait=1", token: Tokens.owner, headers: [("If-None-Match", newTag)])
            #expect(unchanged.status == 304)
            #expect(ContinuousClock.now - started >= .milliseconds(900))
        }

        @Test("no waiting for what is already final, and wait beyond the cap waits the cap")
        func immediateAnswers() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            _ = try await writer.failed(id: id, statusCode: 404, error: .message("gone"))
            let started = ContinuousClock.now
            let terminal = try await front.get("/api/jobs/\(id)?wait=999")
            // A wait would last the cap, 30 s; the bound leaves a loaded machine its slack (1.13 s
            // around this request was seen in a fresh-clone run).
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(terminal.status == 200)
            #expect(terminal.header("Preference-Applied") == "wait=30")
            #expect(try await front.get("/api/jobs/\(uniqueID())?wait=5").status == 404)
            // A stale tag: the client is behind, answer at once.
            let pending = uniqueID()
            _ = try await writer.create(id: pending)
            let begun = ContinuousClock.now
            #expect(try await front.get("/api/jobs/\(pending)?wait=30", headers: [("If-None-Match", #"W/"0.0""#)]).status == 200)
            #expect(ContinuousClock.now - begun < .seconds(5))
        }

        @Test("a wait that is not a non-negative integer is a 422 validation error; a bad Prefer is ignored")
        func invalidWait() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            for bad in ["-1", "abc", "1.5", ""] {
                let response = try await front.get("/api/jobs/\(id)?wait=\(bad)")
                #expect(response.status == 422, "wait=\(bad)")
                let error = try #require(response.json?["error"] as? [String: Any])
                #expect(error["type"] as? String == "validation_failed")
                let invalid = try #require((error["invalid"] as? [[String: Any]])?.first)
                #expect(invalid["entry_type"] as? String == "query_parameter")
                #expect(invalid["entry"] as? String == "wait")
                #expect(((invalid["rules"] as? [[String: Any]])?.first?["rule"]) as? String == "number")
            }
            let started = ContinuousClock.now
            let ignored = try await front.get("/api/jobs/\(id)", headers: [("Prefer", "wait=soon")])
            #expect(ignored.status == 200)
            #expect(ignored.header("Preference-Applied") == nil)
            // Not held: the pending job is answered at once (see immediateAnswers for the bound).
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    /// Server-Sent Events: the current state at once, one event per change, the end after a
    /// terminal state.
    @Suite("Event streams")
    struct EventStreamTests {
        private struct Event {
            var id: String?
            var name: String?
            var data: String
        }

        private func events(_ text: String) -> [Event] {
            text.components(separatedBy: "\n\n").compactMap { block in
                var event = Event(data: "")
                var dataLines: [String] = []
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                    if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { dataLines.append(String(line.dropFirst(6))) }
                }
                event.data = dataLines.joined(separator: "\n")
                return dataLines.isEmpty ? nil : event
            }
        }

        private func status(_ event: Event) -> String? {
            let json = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
            return (json?["data"] as? [String: Any])?["status"] as? String
        }

        @Test("order: pending now, each change as it happens, then the terminal state and the end")
        func order() async throws {
            let (_, front, writer) = try await SharedEnvironment.shared.get()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let client = try front.client(timeout: .seconds(10))
            try client.send(HTTPTestClient.requestText("/api/jobs/\(id)/events", token: Tokens.owner, headers: [("Accept", "text/event-stream")]))
            let head = try await client.readStreamHead()
            #expect(head.status == 200)
            #expect(head.header("Content-Type") == "text/event-stream")
            #expect(head.header("Transfer-Encoding") == "chunked")
            var received = self.events(try await client.readChunk())
            #expect(received.map(\.id) == ["1"])
            #expect(received.map(self.status) == ["pending"])

            _ = try await writer.progress(id: id)
            received = self.events(try await client.readChunk())
            #expect(received.map(\.id) == ["2"])
            _ = try await writer.processed(id: id, links: [JobLink(entity: "e", href: "/h")])
            received = self.events(try await client.readChunk())
            #expect(received.map(\.id) == ["3"])
            #expect(received.map(self.status) == ["processed"])
            #expect(try await client.readChunk() == "", "the stream ends after a terminal state")
            // The connection serves the next request.
            #expect(try await client.request("/health/live").status == 200)
        }

        @Test("Last-Event-ID resumes: what the client has is not sent again, the next change is")
        func resume() async throws {
            let (_, front, writer) = try await SharedEnvironment.shared.get()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            _ = try await writer.progress(id: id)
            let client = try front.client(timeout: .seconds(10))
            try client.send(HTTPTestClient.requestText("/api/jobs/\(id)/events", token: Tokens.owner, headers: [("Last-Event-ID", "2")]))
            #expect(try await client.readStreamHead().status == 200)
            try await Task.sleep(for: .milliseconds(200))
            _ = try await writer.failedWithError(id: id, message: "boom")
            let received = self.events(try await client.readChunk())
            #expect(received.map(\.id) == ["3"], "version 2 was not resent")
            #expect(received.map(self.status) == ["failed_with_error"])
            #expect(try await client.readChunk() == "")

            // Resuming behind the current state sends it at once.
            let behind = try front.client(timeout: .seconds(10))
            try behind.send(HTTPTestClient.requestText("/api/jobs/\(id)/events", token: Tokens.owner, headers: [("Last-Event-ID", "1")]))
            _ = try await behind.readStreamHead()
            #expect(self.events(try await behind.readChunk()).map(\.id) == ["3"])
            #expect(try await behind.readChunk() == "")
        }

        @Test("no stream for unknown jobs, refused Accept, or a missing token")
        func refusals() async throws {
            let (_, front, _) = try await SharedEnvironment.shared.get()
            #expect(try await front.get("/api/jobs/\(uniqueID())/events").status == 404)
            #expect(try await front.get("/api/jobs/\(uniqueID())/events", headers: [("Accept", "application/json")]).status == 406)
            // An empty Accept states no preference (found by schemathesis): like no Accept at all.
            #expect(try await front.get("/api/jobs/\(uniqueID())/events", headers: [("Accept", "")]).status == 404)
            #expect(try await front.get("/api/jobs/\(uniqueID())/events", token: nil).status == 401)
        }
    }

    @Suite("Event streams: HEAD")
    struct EventStreamHeadTests {
        @Test("HEAD on an event stream: the stream's headers, no body, and the connection stays usable")
        func head() async throws {
            let (_, front, writer) = try await SharedEnvironment.shared.get()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let client = try front.client()
            try client.send(HTTPTestClient.requestText("/api/jobs/\(id)/events", method: "HEAD", token: Tokens.owner))
            let head = try await client.readStreamHead()
            #expect(head.status == 200)
            #expect(head.header("Content-Type") == "text/event-stream")
            #expect(try await client.request("/health/live").status == 200)
        }
    }
}
