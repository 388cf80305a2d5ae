import Foundation
import HTTPTypes
import JobStatusClient
import JobStatusWriter
import NIOConcurrencyHelpers
import OpenAPIRuntime
import Testing

extension Tooling {
    /// The Swift client (`JobStatusClient`, generated from docs/openapi.yaml) against a live front:
    /// every job state, a completion while a wait is held, a list finishing in any order, a front
    /// restart during a wait, a 429 honoured, and cancellation.
    @Suite("The Swift client library")
    struct JobPollerTests {
        static func url(_ front: Front) -> URL { URL(string: "http://127.0.0.1:\(front.port)")! }

        @Test("every job state comes back typed; the 303 is not followed; 404 is final; 401 throws")
        func everyState() async throws {
            let (_, front, writer) = try await SharedEnvironment.shared.get()
            let links = uniqueID(), data = uniqueID(), failed = uniqueID(), conflict = uniqueID(), invalid = uniqueID()
            let crashed = uniqueID(), pending = uniqueID()
            for id in [links, data, failed, conflict, invalid, crashed, pending] {
                _ = try await writer.create(id: id, owner: "mis-1", eta: .after(.seconds(60)))
            }
            _ = try await writer.processed(id: links, links: [JobLink(entity: "encounter", href: "/api/encounters/1")])
            _ = try await writer.processed(id: data, responseData: #"{"declaration_id":"a1"}"#)
            _ = try await writer.failed(id: failed, statusCode: 403, error: .message("Patient not found"))
            _ = try await writer.failed(id: conflict, statusCode: 409, error: .json(#"{"type":"request_conflict","message":"taken"}"#))
            _ = try await writer.failed(
                id: invalid, statusCode: 422,
                error: .json(#"{"type":"validation_failed","message":"Validation failed.","invalid":[{"entry_type":"json_data_property","entry":"$.cvv","rules":[{"rule":"required","params":[],"description":"must be present"}]}]}"#)
            )
            _ = try await writer.failedWithError(id: crashed, message: "database unreachable")
            let recorder = ExchangeRecorder()

            try await JobPoller.withPoller(serverURL: Self.url(front), token: Tokens.owner, middlewares: [recorder]) { poller in
                let linked = try await poller.wait(for: links)
                guard case .processedWithLinks = linked.state else { Issue.record("\(linked)"); return }
                #expect(linked.links.map(\.href) == ["/api/encounters/1"] && linked.statusCode == 200)
                #expect(recorder.statuses == [303], "the 303 is the answer: nothing followed it")

                let withData = try await poller.wait(for: data)
                #expect(withData.responseData?.value as? [String: String] == ["declaration_id": "a1"])
                let failedJob = try await poller.wait(for: failed)
                guard case .failed(let job) = failedJob.state, case .JobErrorMessage(let message) = job.error else { Issue.record("\(failedJob)"); return }
                #expect(message == "Patient not found" && failedJob.statusCode == 403)
                let conflictJob = try await poller.wait(for: conflict)
                guard case .failed(let job409) = conflictJob.state, case .JobError(let error409) = job409.error else { Issue.record("\(conflictJob)"); return }
                #expect(error409._type == "request_conflict")
                let invalidJob = try await poller.wait(for: invalid)
                guard case .failed(let job422) = invalidJob.state, case .ValidationError(let error422) = job422.error else { Issue.record("\(invalidJob)"); return }
                #expect(error422.invalid.first?.entry == "$.cvv")
                let crashedJob = try await poller.wait(for: crashed)
                guard case .failedWithError(let job500) = crashedJob.state else { Issue.record("\(crashedJob)"); return }
                #expect(job500.error.message == "database unreachable" && crashedJob.statusCode == 500)
                #expect(try await poller.wait(for: "Unknown00000000000000").state == .notFound)

                let started = ContinuousClock.now
                await #expect(throws: JobStatusClientError.self) { try await poller.wait(for: pending, timeout: .milliseconds(1500)) }
                let waited = ContinuousClock.now - started
                #expect(waited > .milliseconds(1400) && waited < .seconds(4), "held to the caller's deadline: \(waited)")
            }
            try await JobPoller.withPoller(serverURL: Self.url(front), token: Tokens.other) { poller in
                let someoneElses = try await poller.wait(for: data)
                #expect(someoneElses.state == .notFound, "another client's job")
            }
            try await JobPoller.withPoller(serverURL: Self.url(front), token: "no-such-token") { poller in
                await #expect(throws: JobStatusClientError.refused(status: 401, type: "access_denied", message: "Invalid access token")) {
                    try await poller.wait(for: data)
                }
            }
        }

        @Test("a completion wakes the held wait: one request")
        func completionWakesTheWait() async throws {
            let (redis, front, writer) = try await SharedEnvironment.shared.get()
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1", eta: .after(.seconds(60)))
            let recorder = ExchangeRecorder()
            try await JobPoller.withPoller(serverURL: Self.url(front), token: Tokens.owner, middlewares: [recorder]) { poller in
                async let result = poller.wait(for: id, timeout: .seconds(30))
                #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
                let written = ContinuousClock.now
                _ = try await writer.processed(id: id, responseData: #"{"ok":true}"#)
                let finished = try await result
                let woke = ContinuousClock.now - written
                print("JobPoller: the completion answered the held wait \(woke) after the write, \(recorder.statuses.count) request")
                // A third of the held wait (30 s): woken by the write, not by its deadline.
                #expect(finished.isFinished && woke < .seconds(10))
                #expect(recorder.statuses == [200])
            }
        }

        @Test("a list finishing in any order, in batches: every job comes out once, soon after its write")
        func listInAnyOrder() async throws {
            let (_, front, writer) = try await SharedEnvironment.shared.get()
            let ids = (0..<12).map { _ in uniqueID() }
            for id in ids { _ = try await writer.create(id: id, owner: "mis-1", eta: .after(.seconds(60))) }
            let recorder = ExchangeRecorder()
            try await JobPoller.withPoller(
                serverURL: Self.url(front), token: Tokens.owner, configuration: .init(batchSize: 5), middlewares: [recorder]
            ) { poller in
                let stream = poller.completions(of: ids + ["Unknown00000000000000"], timeout: .seconds(60))
                let collected = Task {
                    var results: [JobResult] = []
                    for try await result in stream { results.append(result) }
                    return results
                }
                #expect(await eventually { recorder.statuses.count >= 3 })
                for (index, id) in ids.shuffled().enumerated() {
                    if index % 3 == 2 {
                        _ = try await writer.failed(id: id, statusCode: 404, error: .message("gone"))
                    } else {
                        _ = try await writer.processed(id: id, responseData: "{\"n\":\(index)}")
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                let written = ContinuousClock.now
                let results = try await collected.value
                #expect(ContinuousClock.now - written < .seconds(5), "every batch's held request is woken by its writes")
                #expect(Set(results.map(\.id)) == Set(ids + ["Unknown00000000000000"]) && results.count == 13)
                #expect(results.first { $0.id == "Unknown00000000000000" }?.state == .notFound)
                print("JobPoller: 13 jobs in batches of 5 in \(recorder.statuses.count) requests")
            }
        }

        @Test("a front that crashes and restarts during a wait: the client retries and gets the job")
        func frontRestart() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("poller-restart", redis: redis)
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1", eta: .after(.seconds(60)))
            let recorder = ExchangeRecorder()
            try await JobPoller.withPoller(serverURL: Self.url(front), token: Tokens.owner, middlewares: [recorder]) { poller in
                async let result = poller.wait(for: id, timeout: .seconds(60))
                #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
                // A crash, not a graceful stop (which answers held requests 503 first).
                front.child.signal(SIGKILL)
                _ = await front.child.waitForExit()
                try await Task.sleep(for: .seconds(1))
                let again = try await Front.start("poller-restart-2", redis: redis, port: front.port)
                _ = try await writer.processed(id: id, responseData: #"{"after":"restart"}"#)
                let finished = try await result
                #expect(finished.responseData?.value as? [String: String] == ["after": "restart"])
                print("JobPoller: a restart cost \(recorder.failures) failed attempts; \(recorder.statuses.count) answers")
                #expect(recorder.failures > 0, "the held request was cut and retried")
                _ = await again.terminate()
            }
        }

        @Test("429: the next request waits Retry-After")
        func throttled() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("poller-429", redis: redis, environment: ["LIMITS_RATE": "1", "LIMITS_BURST": "1"])
            defer { Task { _ = await front.terminate() } }
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            _ = try await writer.processed(id: id, responseData: "1")
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(Int(try await front.get("/api/jobs/\(id)").status)) }
            #expect(statuses.contains(429), "\(statuses)")
            let recorder = ExchangeRecorder()
            try await JobPoller.withPoller(serverURL: Self.url(front), token: Tokens.owner, middlewares: [recorder]) { poller in
                let result = try await poller.wait(for: id, timeout: .seconds(30))
                #expect(result.isFinished)
            }
            let exchanges = recorder.exchanges
            let throttled = try #require(exchanges.firstIndex { $0.status == 429 }, "\(exchanges.map(\.status))")
            let told = try #require(exchanges[throttled].retryAfter)
            let gap = exchanges[throttled].ended.duration(to: exchanges[throttled + 1].started)
            print("JobPoller: 429 said Retry-After \(told); the next request came \(gap) later")
            #expect(gap >= .seconds(told) - .milliseconds(50))
        }

        @Test("cancelling the task ends a held wait at once")
        func cancellation() async throws {
            let (redis, front, writer) = try await SharedEnvironment.shared.get()
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1", eta: .after(.seconds(60)))
            try await JobPoller.withPoller(serverURL: Self.url(front), token: Tokens.owner) { poller in
                let waiting = Task { try await poller.wait(for: id, timeout: .seconds(30)) }
                #expect(await eventually { (try? await redis.subscribers(of: "job:\(id)")) == 1 })
                let cancelled = ContinuousClock.now
                waiting.cancel()
                let outcome = await waiting.result
                #expect(throws: CancellationError.self) { try outcome.get() }
                // Against a 30 s wait; the bound leaves the loaded test process its own slack.
                #expect(ContinuousClock.now - cancelled < .seconds(5))
            }
        }
    }
}

/// Records each request the poller sends: its status (nil when it failed), its Retry-After, when.
final class ExchangeRecorder: ClientMiddleware, Sendable {
    struct Exchange: Sendable {
        let status: Int?
        let retryAfter: Int?
        let started: ContinuousClock.Instant
        let ended: ContinuousClock.Instant
    }

    private let recorded = NIOLockedValueBox<[Exchange]>([])

    var exchanges: [Exchange] { self.recorded.withLockedValue { $0 } }
    var statuses: [Int] { self.exchanges.compactMap(\.status) }
    var failures: Int { self.exchanges.filter { $0.status == nil }.count }

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let started = ContinuousClock.now
        do {
            let (response, body) = try await next(request, body, baseURL)
            let retryAfter = response.headerFields[.retryAfter].flatMap { Int($0) }
            self.recorded.withLockedValue { $0.append(Exchange(status: response.status.code, retryAfter: retryAfter, started: started, ended: .now)) }
            return (response, body)
        } catch {
            self.recorded.withLockedValue { $0.append(Exchange(status: nil, retryAfter: nil, started: started, ended: .now)) }
            throw error
        }
    }
}
