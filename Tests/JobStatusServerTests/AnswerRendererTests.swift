import Foundation
import JobStatusCore
import JobStatusTestSupport
import NIOCore
import NIOHTTP1
import Testing

@testable import JobStatusServer

/// The renderer as a plain value: a planned request and an answer in, bytes out, no channel.
/// Each row is an answer and its exact response, with the `Date` value masked.
@Suite("Answer renderer")
struct AnswerRendererTests {
    static let pending: [JobRecordField: String] = [.status: "pending", .eta: "2000-01-01T00:00:00.000Z", .version: "1", .createdAt: "7"]
    static let links: [JobRecordField: String] = [
        .status: "processed", .eta: "2000-01-01T00:00:00.000Z", .version: "3", .createdAt: "7", .statusCode: "200",
        .links: #"[{"entity":"encounter","href":"/api/encounters/1"}]"#,
    ]

    let server: ServerContext
    let renderer: AnswerRenderer

    init() throws {
        self.server = try RequestPlannerTests.server()
        self.renderer = AnswerRenderer(server: self.server, loop: LoopResources(store: InMemoryJobStore()), allocator: ByteBufferAllocator())
    }

    func request(_ line: String, _ headers: [(String, String)] = [("Host", "x"), RequestPlannerTests.bearer, ("X-Request-ID", "rid")]) -> PlannedRequest {
        var planner = RequestPlanner(server: self.server, requestIDs: RequestIDGenerator())
        return planner.plan(RequestPlannerTests.head(line, headers), now: .now()) { nil }
    }

    static func text(_ buffer: ByteBuffer?) -> String {
        buffer.map { String(buffer: $0).replacing(/Date: [^\r]+\r\n/, with: "Date: <date>\r\n") } ?? "<none>"
    }

    /// Renders the answer of `outcome` from a stored record, while the record lives.
    func render(_ fields: [JobRecordField: String]?, for request: PlannedRequest, ifNoneMatch: String? = nil) -> AnswerRenderer.Output {
        let record = StoredRecord(fields ?? [:])
        let outcome: JobReadOutcome = withExtendedLifetime(record) {
            if let ifNoneMatch {
                return Array(ifNoneMatch.utf8).withUnsafeBytes { JobReadOutcome.decide(record.view, caller: nil, ifNoneMatch: $0) }
            }
            return JobReadOutcome.decide(record.view, caller: nil)
        }
        return withExtendedLifetime(record) { self.renderer.render(.record(.job(outcome)), for: request, ending: .keepAlive) }
    }

    @Test("a pending job: 200, its envelope, Retry-After, ETag, no-cache")
    func pendingJob() {
        let output = self.render(Self.pending, for: self.request("GET /api/jobs/a1"))
        let body = #"{"data":{"status":"pending","eta":"2000-01-01T00:00:00.000Z","links":[{"entity":"job","href":"/api/jobs/a1"}]},"#
            + #""meta":{"code":200,"url":"http://x/api/jobs/a1","type":"object","request_id":"rid"}}"#
        #expect(output.status == 200)
        #expect(output.stream.head == nil && output.stream.event == nil)
        #expect(
            Self.text(output.last) == "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
                + "X-Request-ID: rid\r\nDate: <date>\r\nRetry-After: 1\r\nETag: W/\"1.7\"\r\nCache-Control: no-cache\r\n\r\n\(body)"
        )
    }

    @Test("an answer still held keeps its bytes; once the channel let it go, the next answer reuses its memory")
    func responseScratch() {
        let poll = self.request("GET /api/jobs/a1")
        func address(_ buffer: ByteBuffer?) -> UnsafeRawPointer? { buffer?.withUnsafeReadableBytes { $0.baseAddress } }
        // Held, as a socket that did not take it all holds it: the next answer must not write over it.
        let held = self.render(Self.pending, for: poll)
        let heldText = Self.text(held.last)
        let next = self.render(Self.links, for: poll)
        #expect(Self.text(held.last) == heldText)
        #expect(address(next.last) != address(held.last))
        // Let go, as a socket that took it all lets go: the following answer is framed in its memory.
        let releasedAddress = address(next.last)
        _ = consume next
        let reused = self.render(Self.pending, for: poll)
        #expect(address(reused.last) == releasedAddress)
        #expect(Self.text(reused.last) == heldText)
    }

    @Test("what each outcome answers: status, and the headers that tell it apart")
    func outcomes() {
        let poll = self.request("GET /api/jobs/a1")
        let cases: [(String, AnswerRenderer.Output, Int, [String])] = [
            ("links", self.render(Self.links, for: poll), 303, ["HTTP/1.1 303 See Other", "Cache-Control: private, max-age=3600"]),
            ("not modified", self.render(Self.pending, for: poll, ifNoneMatch: #"W/"1.7""#), 304, ["HTTP/1.1 304 Not Modified", #"ETag: W/"1.7""#]),
            ("missing", self.render(nil, for: poll), 404, ["HTTP/1.1 404 Not Found", "Cache-Control: no-store", #""type":"not_found""#]),
            ("broken", self.render([.status: "pending"], for: poll), 500, ["HTTP/1.1 500 Internal Server Error", #""type":"internal_error""#]),
            ("waited", self.render(Self.pending, for: self.request("GET /api/jobs/a1?wait=3")), 200, ["Preference-Applied: wait=3"]),
        ]
        for (name, output, status, lines) in cases {
            #expect(output.status == status, "\(name)")
            let text = Self.text(output.last)
            for line in lines { #expect(text.contains(line), "\(name): \(line) in \(text)") }
        }
        let notModified = Self.text(self.render(Self.pending, for: poll, ifNoneMatch: #"W/"1.7""#).last)
        #expect(notModified.hasSuffix("\r\n\r\n"), "a 304 has no body: \(notModified)")
    }

    @Test("answers from the head alone, the store's absence, health; HEAD keeps the headers and drops the body")
    func immediate() {
        let live = self.renderer.render(.immediate(.live), for: self.request("GET /health/live"), ending: .keepAlive)
        #expect(live.status == 200 && Self.text(live.last).hasSuffix(#"{"status":"up"}"#))
        let unavailable = self.renderer.render(.unavailable, for: self.request("GET /api/jobs/a1"), ending: .keepAlive)
        #expect(unavailable.status == 503 && Self.text(unavailable.last).contains("Retry-After: 1\r\n"))
        let down = self.renderer.render(.health(.unavailable(reason: "redis at 10.0.0.1 refused")), for: self.request("GET /health/ready"), ending: .keepAlive)
        #expect(down.status == 503 && Self.text(down.last).hasSuffix(#"{"status":"unavailable"}"#), "the API port names no hosts")
        let refusal = self.renderer.render(.immediate(.refuse(.routeNotFound, ResponseHeaders(cacheControl: .noStore))), for: self.request("GET /x"), ending: .close)
        #expect(refusal.status == 404 && Self.text(refusal.last).contains("Connection: close\r\n"))
        let head = self.render(Self.pending, for: self.request("HEAD /api/jobs/a1"))
        #expect(Self.text(head.last).hasSuffix("Cache-Control: no-cache\r\n\r\n"), "\(Self.text(head.last))")
        let document = self.renderer.render(.immediate(.document), for: self.request("GET /openapi.yaml"), ending: .keepAlive)
        #expect(document.status == 200 && Self.text(document.last).contains("openapi: 3.1"))
    }

    @Test("an event stream's parts: the head, a job event with its version, a gone event from a missing job, the last chunk")
    func streams() {
        let stream = self.request("GET /api/jobs/a1/events")
        let record = StoredRecord(Self.pending)
        let found = JobReadOutcome.decide(record.view, caller: nil)
        let opened = withExtendedLifetime(record) {
            self.renderer.render(ConnectionMachine.StreamParts(head: true, event: .job(.job(found))), for: stream)
        }
        #expect(Self.text(opened.head).hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"))
        #expect(Self.text(opened.event).contains("id: 1\ndata: {\"data\":{\"status\":\"pending\""), "\(Self.text(opened.event))")
        let gone = self.renderer.render(.streamEnd(.init(event: .gone(.job(.notFound)))), for: stream, ending: .keepAlive)
        #expect(gone.stream.head == nil)
        #expect(Self.text(gone.stream.event).contains("event: gone\ndata: {\"error\":{\"type\":\"not_found\""), "\(Self.text(gone.stream.event))")
        #expect(Self.text(gone.last) == "0\r\n\r\n")
        let heartbeat = self.renderer.render(ConnectionMachine.StreamParts(event: .heartbeat), for: stream)
        #expect(Self.text(heartbeat.event).contains(":"))
    }
}

extension AnswerRendererTests {
    /// A list read of `ids` whose records are `records`, finished as the handler finishes it.
    func list(_ ids: [Substring], _ records: [Substring: [JobRecordField: String]], ifNoneMatch: String? = nil) -> (JobListRead, RecordSummary?) {
        let list = JobListRead(ids: ids)
        list.begin()
        for (index, id) in list.storeIDs.enumerated() {
            let record = StoredRecord(records[id] ?? [:])
            withExtendedLifetime(record) { list.record(at: index, JobReadOutcome.decide(record.view, caller: nil)) }
        }
        return (list, list.finish(ifNoneMatch: ifNoneMatch))
    }

    @Test("a job list: every item in the order asked, malformed ids like unknown ones; its tag, Retry-After from the earliest pending eta; 304 when the tag is current")
    func jobList() throws {
        let request = self.request("GET /api/jobs?ids=a1,nope,bad$,done")
        let (list, summary) = self.list(["a1", "nope", "bad$", "done"], ["a1": Self.pending, "done": Self.links])
        #expect(summary == .job(pending: false, version: nil), "a terminal job in the list: a held list would answer at once")
        let output = self.renderer.render(.record(.list(list)), for: request, ending: .keepAlive)
        let text = Self.text(output.last)
        #expect(output.status == 200)
        let ids = ["a1", "nope", "bad$", "done"].map { #"{"id":"\#($0)""# }
        let positions = ids.compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions.count == 4 && positions == positions.sorted(), "\(text)")
        #expect(text.contains("Retry-After: 1\r\n"), "the pending item's eta is past: the least Retry-After")
        #expect(text.contains("Cache-Control: no-cache\r\n"))
        let tag = try #require(text.firstMatch(of: /ETag: ([^\r]+)\r\n/)?.1).description
        let (again, _) = self.list(["a1", "nope", "bad$", "done"], ["a1": Self.pending, "done": Self.links], ifNoneMatch: tag)
        let notModified = self.renderer.render(.record(.list(again)), for: request, ending: .keepAlive)
        #expect(notModified.status == 304)
        #expect(Self.text(notModified.last).hasSuffix("\r\n\r\n"), "no body")
    }

    @Test("http.location_header adds the first link as Location to a 303; an HTTP/1.0 keep-alive says so")
    func locationAndHTTP10() throws {
        let server = try RequestPlannerTests.server { $0.http.locationHeader = true }
        let renderer = AnswerRenderer(server: server, loop: LoopResources(store: InMemoryJobStore()), allocator: ByteBufferAllocator())
        var planner = RequestPlanner(server: server, requestIDs: RequestIDGenerator())
        let request = planner.plan(
            RequestPlannerTests.head("GET /api/jobs/a1 HTTP/1.0", [RequestPlannerTests.bearer, ("Connection", "keep-alive")]),
            now: .now()
        ) { nil }
        let record = StoredRecord(Self.links)
        let output = withExtendedLifetime(record) {
            renderer.render(.record(.job(JobReadOutcome.decide(record.view, caller: nil))), for: request, ending: .keepAlive)
        }
        let text = Self.text(output.last)
        #expect(text.hasPrefix("HTTP/1.1 303 See Other\r\n"))
        #expect(text.contains("Location: /api/encounters/1\r\n"), "\(text)")
        #expect(text.contains("Connection: keep-alive\r\n"), "\(text)")
    }

    @Test("Retry-After of a pending job: the seconds until its eta, clamped to polling.retry_after_min and _max")
    func retryAfterClamps() {
        let now = Date()
        let cases: [(eta: Date, expected: ClosedRange<Int>)] = [
            (now.addingTimeInterval(-60), 1...1), (now.addingTimeInterval(10.5), 10...11), (now.addingTimeInterval(3600), 30...30),
        ]
        for (eta, expected) in cases {
            var fields = Self.pending
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            fields[.eta] = formatter.string(from: eta)
            let text = Self.text(self.render(fields, for: self.request("GET /api/jobs/a1")).last)
            let value = Int(text.firstMatch(of: /Retry-After: (\d+)\r\n/)?.1 ?? "") ?? -1
            #expect(expected.contains(value), "\(eta): \(value)")
        }
    }
}
