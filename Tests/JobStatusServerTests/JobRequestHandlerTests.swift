import JobStatusCore
import JobStatusTestSupport
import NIOCore
import NIOHTTP1
import Testing

@testable import JobStatusServer

/// The handler as a shell around its state machine: exact bytes in, exact bytes out, on an
/// embedded channel with an in-memory store.
@Suite("Request handler on an embedded channel")
struct JobRequestHandlerTests {
    @Test(
        "/health/ready says why Redis is unavailable on the operator port only, never on the API port, even when it serves /metrics",
        arguments: [(0, false, false), (9100, false, false), (9100, true, true)]
    )
    func readinessReason(metricsPort: Int, operatorListener: Bool, showsReason: Bool) throws {
        let harness = try HandlerHarness(configure: { $0.metrics.port = metricsPort }, operatorListener: operatorListener)
        harness.store.isReady = false
        try harness.send("GET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n")
        let body = #"{"status":"unavailable","reason":"the in-memory store is down"}"#
        let expected = showsReason ? body : #"{"status":"unavailable"}"#
        let output = try harness.output()
        #expect(output.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(output.hasSuffix("\r\n\r\n\(expected)"), "\(output)")
    }

    @Test("meta.url repeats an authority-shaped Host only; any other Host is replaced by the configured default")
    func hostIntoMetaURL() throws {
        for (host, authority) in [
            ("api.example.com:8443", "api.example.com:8443"), ("[::1]:80", "[::1]:80"), ("evil.example/path?x", nil), ("a b", nil),
            ("user@host", nil), ("\"quoted\"", nil),
        ] {
            let harness = try HandlerHarness()
            try harness.send("GET /api/jobs/a1 HTTP/1.1\r\nHost: \(host)\r\nX-Request-ID: rid\r\n\r\n")
            let output = try harness.output()
            let expected = authority ?? harness.server.defaultAuthority
            #expect(output.contains(#""url":"http://\#(expected)/api/jobs/a1""#), "\(host): \(output)")
        }
    }

    @Test("keep-alive: two polls on one connection, each answered, the connection stays open")
    func keepAlive() throws {
        let harness = try HandlerHarness()
        harness.store.write("a1", HandlerHarness.pendingJob)
        try harness.send(HandlerHarness.poll("/api/jobs/a1"))
        #expect(try harness.output() == HandlerHarness.pendingResponse("a1"))
        try harness.send(HandlerHarness.poll("/api/jobs/a1"))
        #expect(try harness.output() == HandlerHarness.pendingResponse("a1"))
        #expect(harness.isOpen)
        #expect(harness.store.readCount == 2)
    }

    @Test("pipelining: answers leave in the order the requests came, whatever each costs")
    func pipeliningOrder() throws {
        let harness = try HandlerHarness()
        harness.store.readBehaviour = .hold
        harness.store.write("a1", HandlerHarness.pendingJob)
        try harness.send(HandlerHarness.poll("/api/jobs/a1") + HandlerHarness.poll("/health/live") + HandlerHarness.poll("/api/jobs/nope"))
        // The first read is held: nothing may overtake it.
        #expect(try harness.output() == "")
        harness.store.completeHeldReads()
        let notFound = #"{"error":{"type":"not_found","message":"Job not found"},"meta":{"code":404,"url":"http://x/api/jobs/nope","type":"object","request_id":"rid"}}"#
        #expect(try harness.output() == HandlerHarness.pendingResponse("a1") + Self.live)
        harness.store.completeHeldReads()
        #expect(
            try harness.output()
                == "HTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(notFound.utf8.count)\r\n"
                + "X-Request-ID: rid\r\nDate: <date>\r\nCache-Control: no-store\r\n\r\n\(notFound)"
        )
    }

    @Test("HTTP/1.0: answered with Connection: close, then closed; with keep-alive it is told so")
    func http10() throws {
        let closing = try HandlerHarness()
        try closing.send("GET /health/live HTTP/1.0\r\nX-Request-ID: rid\r\n\r\n")
        #expect(
            try closing.output()
                == "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 15\r\nX-Request-ID: rid\r\n"
                + "Date: <date>\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{\"status\":\"up\"}"
        )
        #expect(!closing.isOpen)

        let keepAlive = try HandlerHarness()
        try keepAlive.send("GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\nX-Request-ID: rid\r\n\r\n")
        #expect(try keepAlive.output().contains("\r\nConnection: keep-alive\r\n"))
        #expect(keepAlive.isOpen)
    }

    @Test("HEAD: the same head, Content-Length included, no body")
    func head() throws {
        let harness = try HandlerHarness()
        harness.store.write("a1", HandlerHarness.pendingJob)
        try harness.send("HEAD /api/jobs/a1 HTTP/1.1\r\nHost: x\r\nX-Request-ID: rid\r\n\r\n")
        let full = HandlerHarness.pendingResponse("a1")
        #expect(try harness.output() == String(full.prefix(upTo: full.range(of: "\r\n\r\n")!.upperBound)))
    }

    @Test("a malformed request is answered 400 after the requests before it, then the connection closes")
    func malformed() throws {
        let harness = try HandlerHarness()
        try harness.send(HandlerHarness.poll("/health/live") + "GET / HTTP/1.1\r\nHost : x\r\n\r\n")
        let output = try harness.output()
        #expect(output.hasPrefix(Self.live + "HTTP/1.1 400 Bad Request\r\n"))
        #expect(output.contains("\r\nConnection: close\r\n"))
        #expect(output.contains(#""type":"bad_request""#))
        #expect(!harness.isOpen)
    }

    @Test("headers over http.max_header_size: 431, then the connection closes")
    func headersTooLarge() throws {
        let harness = try HandlerHarness { $0.http.maxHeaderSize = 1024 }
        try harness.send("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n")
        let output = try harness.output()
        #expect(output.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        #expect(output.contains("\r\nConnection: close\r\n"))
        #expect(!harness.isOpen)
    }

    @Test("a long poll is held until the job changes, then answered with the new state")
    func longPollWoken() throws {
        let harness = try HandlerHarness()
        harness.store.write("a1", HandlerHarness.pendingJob)
        try harness.send(HandlerHarness.poll("/api/jobs/a1?wait=5"))
        #expect(try harness.output() == "")
        #expect(harness.store.watchedIDs == ["a1"])
        var changed = HandlerHarness.pendingJob
        changed[.version] = "2"
        harness.store.write("a1", changed)
        let output = try harness.output()
        #expect(output.contains("ETag: W/\"2.7\"\r\n"))
        #expect(output.contains("Preference-Applied: wait=5\r\n"))
        #expect(harness.store.watchedIDs.isEmpty, "the watch ends with the request")
    }

    @Test("a long poll is answered at its deadline with the unchanged state")
    func longPollTimedOut() throws {
        let harness = try HandlerHarness()
        harness.store.write("a1", HandlerHarness.pendingJob)
        try harness.send(HandlerHarness.poll("/api/jobs/a1?wait=5"))
        harness.advance(.milliseconds(4900))
        #expect(try harness.output() == "")
        harness.advance(.milliseconds(100))
        #expect(try harness.output() == HandlerHarness.pendingResponse("a1", extraHeaders: "Preference-Applied: wait=5\r\n"))
        #expect(harness.store.readCount == 2)
    }

    @Test("the subscriber connection drops: a parked long poll is answered from a fresh read")
    func subscriptionLost() throws {
        let harness = try HandlerHarness()
        harness.store.write("a1", HandlerHarness.pendingJob)
        try harness.send(HandlerHarness.poll("/api/jobs/a1?wait=30"))
        #expect(try harness.output() == "")
        harness.store.loseWatches()
        #expect(try harness.output() == HandlerHarness.pendingResponse("a1", extraHeaders: "Preference-Applied: wait=30\r\n"))
    }

    @Test("a long poll whose subscription is still being set up when the connection to Redis drops is answered")
    func subscribingLost() throws {
        let harness = try HandlerHarness()
        harness.store.watchBehaviour = .hold
        harness.store.write("a1", HandlerHarness.pendingJob)
        try harness.send(HandlerHarness.poll("/api/jobs/a1?wait=30"))
        harness.store.loseWatches()
        #expect(try harness.output() == HandlerHarness.pendingResponse("a1", extraHeaders: "Preference-Applied: wait=30\r\n"))
    }

    @Test("event stream: head and state, heartbeats, an event per new version, the end; Last-Event-ID is honoured")
    func eventStream() throws {
        let harness = try HandlerHarness()
        harness.store.write("a1", HandlerHarness.pendingJob)
        try harness.send(HandlerHarness.poll("/api/jobs/a1/events"))
        let envelope = HandlerHarness.pendingEnvelope("a1", path: "/api/jobs/a1/events")
        let event = "id: 1\ndata: \(envelope)\n\n"
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Request-ID: rid\r\nDate: <date>\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(try harness.output() == head + Self.chunk(event))
        harness.advance(.seconds(15))
        #expect(try harness.output() == Self.chunk(": heartbeat\n\n"))
        harness.store.write("a1", [.status: "processed", .eta: "2026-01-01T00:00:00.000Z", .statusCode: "200", .responseData: "{}", .version: "2", .createdAt: "7"])
        let processed = #"{"data":{"status":"processed","eta":"2026-01-01T00:00:00.000Z","status_code":"200","response_data":{}},"#
            + #""meta":{"code":200,"url":"http://x/api/jobs/a1/events","type":"object","request_id":"rid"}}"#
        #expect(try harness.output() == Self.chunk("id: 2\ndata: \(processed)\n\n") + "0\r\n\r\n", "the stream ends after a terminal state")
        #expect(harness.isOpen, "and the connection serves the next request")

        let resumed = try HandlerHarness()
        resumed.store.write("a1", HandlerHarness.pendingJob)
        try resumed.send(HandlerHarness.poll("/api/jobs/a1/events", "Last-Event-ID: 1\r\n"))
        #expect(try resumed.output() == head, "the client has version 1: nothing to send yet")
    }

    @Test("SIGTERM (quiesce): a held long poll is answered at once with Connection: close, then the connection closes")
    func quiesce() throws {
        let harness = try HandlerHarness()
        harness.store.write("a1", HandlerHarness.pendingJob)
        try harness.send(HandlerHarness.poll("/api/jobs/a1?wait=30"))
        #expect(try harness.output() == "")
        harness.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        let output = try harness.output()
        #expect(output.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(output.contains("\r\nConnection: close\r\n"))
        #expect(!harness.isOpen)

        let idle = try HandlerHarness()
        idle.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!idle.isOpen, "an idle connection closes at once")
    }

    @Test("an unwritable channel starts no queued request and reads nothing; writable again, it resumes")
    func backpressure() throws {
        let harness = try HandlerHarness()
        harness.channel.isWritable = false
        harness.channel.pipeline.fireChannelWritabilityChanged()
        _ = try harness.output()
        try harness.send(HandlerHarness.poll("/health/live") + HandlerHarness.poll("/health/live"))
        let readsBefore = harness.readCounter.count
        harness.channel.read()
        #expect(harness.readCounter.count == readsBefore, "no read while the client does not take output")
        #expect(try harness.output() == "", "no queued request starts")
        harness.channel.isWritable = true
        harness.channel.pipeline.fireChannelWritabilityChanged()
        #expect(try harness.output() == Self.live + Self.live)
        #expect(harness.readCounter.count == readsBefore + 1, "the held read goes out")
    }

    @Test("gateway mode: two X-Consumer-ID or two X-Custom-PSK headers are a 400, then a close")
    func gatewayAmbiguity() throws {
        let psk = "a-key-of-sixteen-or-more"
        for headers in ["X-Consumer-ID: a\r\nX-Consumer-ID: b\r\nX-Custom-PSK: \(psk)\r\n", "X-Consumer-ID: a\r\nX-Custom-PSK: \(psk)\r\nX-Custom-PSK: \(psk)\r\n"] {
            let harness = try HandlerHarness(authentication: .gateway(GatewayAuthenticator(presharedKey: psk)))
            try harness.send(HandlerHarness.poll("/api/jobs/a1", headers))
            let output = try harness.output()
            #expect(output.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(headers)")
            #expect(output.contains("exactly one X-Consumer-ID and one X-Custom-PSK"))
            #expect(!harness.isOpen)
        }
        let single = try HandlerHarness(authentication: .gateway(GatewayAuthenticator(presharedKey: psk)))
        single.store.write("a1", HandlerHarness.pendingJob)
        try single.send(HandlerHarness.poll("/api/jobs/a1", "X-Consumer-ID: a\r\nX-Custom-PSK: \(psk)\r\n"))
        #expect(try single.output() == HandlerHarness.pendingResponse("a1"))
    }

    static let live = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 15\r\nX-Request-ID: rid\r\n"
        + "Date: <date>\r\nCache-Control: no-store\r\n\r\n{\"status\":\"up\"}"

    static func chunk(_ text: String) -> String {
        String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n"
    }
}
