import JobStatusCore
import JobStatusTestSupport
import NIOCore
import Testing

@testable import JobStatusServer

/// Job lists (`GET /api/jobs?ids=…`) through the handler: exact bytes in, exact bytes out.
@Suite("Job lists on an embedded channel")
struct JobListHandlerTests {
    static let processedJob: [JobRecordField: String] = [
        .status: "processed", .eta: "2026-01-01T00:00:00.000Z", .statusCode: "200", .responseData: #"{"ok":true}"#, .version: "2", .createdAt: "7",
    ]

    /// A harness whose store holds p1 (pending, version 1) and d1 (processed).
    static func harnessWithPendingAndProcessed() throws -> HandlerHarness {
        let harness = try HandlerHarness()
        harness.store.write("p1", HandlerHarness.pendingJob)
        harness.store.write("d1", Self.processedJob)
        return harness
    }

    /// The pending job of `HandlerHarness` at another version: a progress write.
    static func pendingJob(version: String) -> [JobRecordField: String] {
        var job = HandlerHarness.pendingJob
        job[.version] = version
        return job
    }

    static func pendingItem(_ id: String) -> String {
        #"{"id":"\#(id)","status":"pending","eta":"2026-01-01T00:00:00.000Z","links":[{"entity":"job","href":"/api/jobs/\#(id)"}]}"#
    }

    static func processedItem(_ id: String) -> String {
        #"{"id":"\#(id)","status":"processed","eta":"2026-01-01T00:00:00.000Z","status_code":"200","response_data":{"ok":true}}"#
    }

    static func list(_ items: [String], path: String = "/api/jobs") -> String {
        #"{"data":[\#(items.joined(separator: ","))],"meta":{"code":200,"url":"http://x\#(path)","type":"list","request_id":"rid"}}"#
    }

    /// The whole response, with the ETag's value replaced by `<tag>`.
    static func response(_ body: String, status: String = "200 OK", retryAfter: Bool = true, extraHeaders: String = "") -> String {
        var head = "HTTP/1.1 \(status)\r\n"
        if !body.isEmpty {
            head += "Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        head += "X-Request-ID: rid\r\nDate: <date>\r\n"
        if retryAfter { head += "Retry-After: 1\r\n" }
        return head + "ETag: <tag>\r\nCache-Control: no-cache\r\n\(extraHeaders)\r\n\(body)"
    }

    private static func masked(_ output: String) -> (text: String, tag: String?) {
        let tag = output.firstMatch(of: /ETag: (W\/"l[0-9a-f]{16}")\r\n/).map { String($0.1) }
        return (output.replacing(/ETag: W\/"l[0-9a-f]{16}"\r\n/, with: "ETag: <tag>\r\n"), tag)
    }

    @Test("items in the order asked, each id once; unknown, expired and malformed ids are the same not_found, a broken record an error")
    func items() throws {
        let harness = try Self.harnessWithPendingAndProcessed()
        harness.store.write("gone", HandlerHarness.pendingJob)
        harness.store.expire("gone")
        harness.store.write("broken", [.status: "processed", .eta: "2026-01-01T00:00:00.000Z"])
        try harness.send(HandlerHarness.poll("/api/jobs?ids=d1,p1,nobody,gone,bad.id,broken,p1"))
        let notFound = ["nobody", "gone", "bad.id"].map { #"{"id":"\#($0)","status":"not_found"}"# }
        let items = [Self.processedItem("d1"), Self.pendingItem("p1")] + notFound + [#"{"id":"broken","status":"error"}"#]
        #expect(Self.masked(try harness.output()).text == Self.response(Self.list(items)))
        #expect(harness.store.readCount == 5, "the malformed id is not read, the repeated one once")
    }

    @Test("the list's ETag: If-None-Match answers 304; HEAD has the same head; a write changes the tag")
    func conditional() throws {
        let harness = try Self.harnessWithPendingAndProcessed()
        try harness.send(HandlerHarness.poll("/jobs?ids=p1,d1"))
        let (first, tag) = Self.masked(try harness.output())
        let body = Self.list([Self.pendingItem("p1"), Self.processedItem("d1")], path: "/jobs")
        #expect(first == Self.response(body))
        let etag = try #require(tag)
        try harness.send(HandlerHarness.poll("/jobs?ids=p1,d1", "If-None-Match: \(etag)\r\n"))
        #expect(Self.masked(try harness.output()).text == Self.response("", status: "304 Not Modified"))
        try harness.send("HEAD /jobs?ids=p1,d1 HTTP/1.1\r\nHost: x\r\nX-Request-ID: rid\r\n\r\n")
        let head = Self.masked(try harness.output())
        #expect(head.text + body == Self.response(body))
        #expect(head.tag == etag)
        try harness.send(HandlerHarness.poll("/jobs?ids=d1,p1", "If-None-Match: \(etag)\r\n"))
        #expect(Self.masked(try harness.output()).tag != etag, "another order is another list")
        harness.store.write("p1", Self.pendingJob(version: "5"))
        try harness.send(HandlerHarness.poll("/jobs?ids=p1,d1", "If-None-Match: \(etag)\r\n"))
        let after = Self.masked(try harness.output())
        #expect(after.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(after.tag != etag)
    }

    @Test("a held list: held while nothing is terminal, answered whole at the first write to any of its jobs; one watch per job, all ended")
    func held() throws {
        let harness = try HandlerHarness()
        harness.store.write("p1", HandlerHarness.pendingJob)
        harness.store.write("p2", HandlerHarness.pendingJob)
        try harness.send(HandlerHarness.poll("/api/jobs?ids=p1,p2,x.y&wait=20"))
        #expect(try harness.output() == "")
        #expect(harness.store.watchedIDs == ["p1", "p2"])
        harness.store.write("p2", Self.processedJob)
        let expected = Self.response(
            Self.list([Self.pendingItem("p1"), Self.processedItem("p2"), #"{"id":"x.y","status":"not_found"}"#]),
            extraHeaders: "Preference-Applied: wait=20\r\n"
        )
        #expect(Self.masked(try harness.output()).text == expected)
        #expect(harness.store.watchedIDs.isEmpty)
        #expect(harness.store.readCount == 4, "one read of both jobs to park, one to answer")
    }

    @Test("a held list with its tag: any change answers it; unchanged, it answers 304 at its deadline")
    func heldWithTag() throws {
        let harness = try Self.harnessWithPendingAndProcessed()
        try harness.send(HandlerHarness.poll("/api/jobs?ids=p1,d1"))
        let tag = try #require(Self.masked(try harness.output()).tag)
        try harness.send(HandlerHarness.poll("/api/jobs?ids=p1,d1&wait=5", "If-None-Match: \(tag)\r\n"))
        harness.advance(.milliseconds(4900))
        #expect(try harness.output() == "")
        harness.advance(.milliseconds(100))
        #expect(Self.masked(try harness.output()).text == Self.response("", status: "304 Not Modified", extraHeaders: "Preference-Applied: wait=5\r\n"))
        try harness.send(HandlerHarness.poll("/api/jobs?ids=p1,d1&wait=5", "If-None-Match: \(tag)\r\n"))
        harness.store.write("p1", Self.pendingJob(version: "2"))
        let output = Self.masked(try harness.output())
        #expect(output.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(output.tag != tag)
    }

    @Test("a list whose jobs are all terminal, or all unknown, is not held")
    func notHeld() throws {
        let harness = try HandlerHarness()
        harness.store.write("d1", Self.processedJob)
        try harness.send(HandlerHarness.poll("/api/jobs?ids=d1,p9&wait=20"))
        #expect(try harness.output().hasPrefix("HTTP/1.1 200 OK\r\n"))
        try harness.send(HandlerHarness.poll("/api/jobs?ids=p9,a.b&wait=20"))
        #expect(try harness.output().hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(harness.store.watchedIDs.isEmpty)
    }

    @Test("no ids, or more than polling.max_batch: 422 in the API's validation format")
    func validation() throws {
        let harness = try HandlerHarness { $0.polling.maxBatch = 2 }
        let message = "Validation failed. You can find validators description at our API Manifest: http://docs.apimanifest.apiary.io/#introduction/interacting"
        let cases = [
            ("/api/jobs", "required", "must list at least one job id, separated by commas"),
            ("/api/jobs?ids=,", "required", "must list at least one job id, separated by commas"),
            ("/api/jobs?ids=a,b,c", "length", "must list at most 2 distinct job ids, in at most 4 elements"),
            ("/api/jobs?ids=a,a,a,a,a", "length", "must list at most 2 distinct job ids, in at most 4 elements"),
        ]
        for (path, rule, description) in cases {
            try harness.send(HandlerHarness.poll(path))
            let body =
                #"{"error":{"type":"validation_failed","message":"\#(message)","invalid":[{"entry_type":"query_parameter","entry":"ids","rules":[{"rule":"\#(rule)","params":[],"description":"\#(description)"}]}]},"#
                + #""meta":{"code":422,"url":"http://x/api/jobs","type":"object","request_id":"rid"}}"#
            let expected = "HTTP/1.1 422 Unprocessable Content\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
                + "X-Request-ID: rid\r\nDate: <date>\r\nCache-Control: no-store\r\n\r\n\(body)"
            #expect(try harness.output() == expected, "\(path)")
        }
        try harness.send(HandlerHarness.poll("/api/jobs?ids=a,b,a,b"))
        #expect(try harness.output().hasPrefix("HTTP/1.1 200 OK\r\n"), "repeats do not count")
        #expect(harness.store.readCount == 2)
    }

    @Test("a list whose read fails answers 503 as a whole, with Retry-After")
    func unavailable() throws {
        let harness = try HandlerHarness()
        harness.store.readBehaviour = .fail
        try harness.send(HandlerHarness.poll("/api/jobs?ids=a,b"))
        let output = try harness.output()
        #expect(output.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(output.contains("\r\nRetry-After: 1\r\n"))
    }

    @Test("the rate limit counts ids: a list of 3 costs what 3 polls cost")
    func rateLimit() throws {
        let harness = try HandlerHarness {
            $0.limits.rate = 1
            $0.limits.burst = 4
        }
        try harness.send(HandlerHarness.poll("/api/jobs?ids=a,b,c"))
        #expect(try harness.output().hasPrefix("HTTP/1.1 200 OK\r\n"))
        try harness.send(HandlerHarness.poll("/api/jobs/a"))
        #expect(try harness.output().hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        try harness.send(HandlerHarness.poll("/api/jobs/a"))
        #expect(try harness.output().hasPrefix("HTTP/1.1 429 Too Many Requests\r\n"))
    }
}
