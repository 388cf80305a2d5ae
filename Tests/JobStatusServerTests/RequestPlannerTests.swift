import Foundation
import JobStatusConfiguration
import JobStatusCore
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import Testing

@testable import JobStatusServer

/// The planner as a plain value: request heads in, planned requests out, no channel. Each row is
/// a head and the one line that says what was planned: the work (or the refusal's status and
/// type), the route label, the caller, the connection and, for lists and waits, what they hold.
@Suite("Request planner")
struct RequestPlannerTests {
    // sha256("secret-1"): mis-1 with job:read; sha256("secret-2"): mis-2 without it.
    private static let tokens = """
        {"tokens": [
          {"client_id": "mis-1", "sha256": "f7e7c36e458e80e6b6a2c67d0a9ec09bd718dadd7bfa8d6bf6e7ad526e46c2f7", "scopes": ["job:read"]},
          {"client_id": "mis-2", "sha256": "f4b6bb6548129dacf11c1a9c4dffffefd4aa6b21fcf4e9754cc03b731cbe7c25", "scopes": ["patient:read"]}
        ]}
        """

    static func server(
        operatorListener: Bool = false,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws -> ServerContext {
        var configuration = ServerConfiguration()
        configuration.limits.rate = 0
        configure(&configuration)
        let tokens = try TokenAuthenticator(json: Array(Self.tokens.utf8), source: "test")
        return ServerContext(
            configuration: configuration,
            authentication: .tokens(tokens),
            logger: Logger(label: "test"),
            metricsRegistry: PrometheusCollectorRegistry(),
            isOperatorListener: operatorListener
        )
    }

    static func head(_ line: String, _ headers: [(String, String)] = [("Host", "x")]) -> RequestHead {
        let parts = line.split(separator: " ")
        let version: HTTPVersion = parts.count > 2 && parts[2] == "HTTP/1.0" ? .http1_0 : .http1_1
        return RequestHead(method: HTTPMethod(rawValue: String(parts[0])), target: String(parts[1]), version: version, headers: headers)
    }

    static let bearer = ("Authorization", "Bearer secret-1")

    /// One line per planned request.
    static func describe(_ request: PlannedRequest) -> String {
        var words: [String] = []
        switch request.work {
        case .immediate(.refuse(let error, _)): words.append("refuse \(error.status.code) \(error.type)")
        case .immediate(.live): words.append("live")
        case .immediate(.metrics): words.append("metrics")
        case .immediate(.document): words.append("document")
        case .probe: words.append("probe")
        case .awaitKeys: words.append("await keys")
        case .poll(let wait): words.append(wait.map { "poll wait=\($0.nanoseconds / 1_000_000_000)s" } ?? "poll")
        case .stream(let last): words.append(last.map { "stream last=\($0)" } ?? "stream")
        }
        words.append("route=\(request.facts.route.name)")
        if let client = request.facts.clientID { words.append("client=\(client)") }
        if !request.facts.jobID.isEmpty { words.append("job=\(request.facts.jobID)") }
        if let list = request.facts.list { words.append("ids=\(list.ids.joined(separator: ","))") }
        if request.closesConnection { words.append("close") }
        return words.joined(separator: " ")
    }

    static let table: [(line: String, headers: [(String, String)], planned: String)] = [
        ("GET /api/jobs/a1", [("Host", "x"), bearer], "poll route=job client=mis-1 job=a1"),
        ("HEAD /api/jobs/a1", [("Host", "x"), bearer], "poll route=job client=mis-1 job=a1"),
        ("GET /api/jobs/a1?wait=5", [("Host", "x"), bearer], "poll wait=5s route=job_wait client=mis-1 job=a1"),
        ("GET /api/jobs/a1", [("Host", "x"), bearer, ("Prefer", "wait=90")], "poll wait=30s route=job_wait client=mis-1 job=a1"),
        ("GET /api/jobs/a1?wait=0", [("Host", "x"), bearer], "poll route=job client=mis-1 job=a1"),
        ("GET /api/jobs/a1?wait=x", [("Host", "x"), bearer], "refuse 422 validation_failed route=job client=mis-1 job=a1"),
        ("GET /api/jobs/a1/events", [("Host", "x"), bearer, ("Last-Event-ID", " 7 ")], "stream last=7 route=events client=mis-1 job=a1"),
        ("GET /api/jobs/a1/events", [("Host", "x"), bearer, ("Accept", "application/json")], "refuse 406 not_acceptable route=events client=mis-1 job=a1"),
        ("GET /api/jobs/a1/events", [("Host", "x"), bearer, ("Accept", "text/*")], "stream route=events client=mis-1 job=a1"),
        ("GET /api/jobs?ids=a1,b2,a1,%21", [("Host", "x"), bearer], "poll route=jobs client=mis-1 ids=a1,b2,%21"),
        ("GET /api/jobs", [("Host", "x"), bearer], "refuse 422 validation_failed route=jobs client=mis-1"),
        ("GET /api/jobs/a1", [("Host", "x")], "refuse 401 access_denied route=job"),
        ("GET /api/jobs/a1", [("Host", "x"), ("Authorization", "Bearer nope")], "refuse 401 access_denied route=job"),
        ("GET /api/jobs/a1", [("Host", "x"), ("Authorization", "Bearer secret-2")], "refuse 403 forbidden route=job"),
        ("GET /api/jobs/bad$id", [("Host", "x"), bearer], "refuse 404 not_found route=job client=mis-1"),
        ("POST /api/jobs/a1", [("Host", "x"), bearer], "refuse 405 method_not_allowed route=job"),
        ("GET /api/jobs/a1", [bearer], "refuse 400 bad_request route=job close"),
        ("GET /api/jobs/a1", [("Host", "x"), ("Host", "y"), bearer], "refuse 400 bad_request route=job close"),
        ("GET /api/jobs/a1 HTTP/1.0", [bearer], "poll route=job client=mis-1 job=a1 close"),
        ("GET /api/jobs/a1", [("Host", "x"), bearer, ("Connection", "close")], "poll route=job client=mis-1 job=a1 close"),
        ("GET /health/live", [("Host", "x")], "live route=health"),
        ("GET /health/ready", [("Host", "x")], "probe route=health"),
        ("DELETE /health/ready", [("Host", "x")], "refuse 405 method_not_allowed route=health"),
        ("GET /metrics", [("Host", "x")], "metrics route=metrics"),
        ("GET /openapi.yaml", [("Host", "x")], "document route=openapi"),
        ("GET /nowhere", [("Host", "x")], "refuse 404 not_found route=unknown"),
    ]

    @Test("each head plans what the API documents")
    func plans() throws {
        let server = try Self.server()
        for row in Self.table {
            var planner = RequestPlanner(server: server, requestIDs: RequestIDGenerator())
            let planned = planner.plan(Self.head(row.line, row.headers), now: .now()) { nil }
            #expect(Self.describe(planned) == row.planned, "\(row.line)")
            server.limits.stopWaiting(planned.facts.waiterKey ?? "")
        }
    }

    @Test("a connection's kept decision is dropped when the tokens are reloaded: a removed token is refused on it")
    func reloadedTokens() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("planner-tokens-\(UInt64.random(in: 0...UInt64.max)).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.tokens.write(toFile: path, atomically: true, encoding: .utf8)
        let tokens = try TokenAuthenticator(contentsOfFile: path)
        let server = ServerContext(
            configuration: ServerConfiguration(),
            authentication: .tokens(tokens),
            logger: Logger(label: "test"),
            metricsRegistry: PrometheusCollectorRegistry(),
            isOperatorListener: false
        )
        var planner = RequestPlanner(server: server, requestIDs: RequestIDGenerator())
        let poll = Self.head("GET /api/jobs/a1", [("Host", "x"), Self.bearer])
        #expect(Self.describe(planner.plan(poll, now: .now()) { nil }) == "poll route=job client=mis-1 job=a1")
        try #"{"tokens": []}"#.write(toFile: path, atomically: true, encoding: .utf8)
        try tokens.reload()
        #expect(Self.describe(planner.plan(poll, now: .now()) { nil }) == "refuse 401 access_denied route=job")
    }

    @Test("the operator port plans metrics and health only; with metrics on a port of their own, the API port has no /metrics")
    func operatorPort() throws {
        let operatorServer = try Self.server(operatorListener: true) { $0.metrics.port = 9100 }
        let apiServer = try Self.server { $0.metrics.port = 9100 }
        var operatorPlanner = RequestPlanner(server: operatorServer, requestIDs: RequestIDGenerator())
        var apiPlanner = RequestPlanner(server: apiServer, requestIDs: RequestIDGenerator())
        let plan = { (planner: inout RequestPlanner, line: String) in
            Self.describe(planner.plan(Self.head(line, [("Host", "x"), Self.bearer]), now: .now()) { nil })
        }
        #expect(plan(&operatorPlanner, "GET /metrics") == "metrics route=metrics")
        #expect(plan(&operatorPlanner, "GET /api/jobs/a1") == "refuse 404 not_found route=job")
        #expect(plan(&apiPlanner, "GET /metrics") == "refuse 404 not_found route=metrics")
    }

    @Test("a method outside HTTP's registry is _OTHER in telemetry, and named as sent in the 405")
    func unregisteredMethod() throws {
        var planner = RequestPlanner(server: try Self.server(), requestIDs: RequestIDGenerator())
        let made = planner.plan(Self.head("BREW /health/live", [("Host", "x")]), now: .now()) { nil }
        #expect(made.facts.method == "_OTHER")
        #expect(Self.describe(made).hasPrefix("refuse 405"))
        guard case .immediate(.refuse(let error, _)) = made.work else { Issue.record("not refused: \(Self.describe(made))"); return }
        #expect(error.message.contains("BREW"))
        let known = planner.plan(Self.head("DELETE /health/live", [("Host", "x")]), now: .now()) { nil }
        #expect(known.facts.method == "DELETE")
    }

    @Test("an acceptable X-Request-ID is kept; a missing or unacceptable one is replaced by the loop's generator")
    func requestIDs() throws {
        var planner = RequestPlanner(server: try Self.server(), requestIDs: RequestIDGenerator())
        let kept = planner.plan(Self.head("GET /health/live", [("Host", "x"), ("X-Request-ID", "abc-123")]), now: .now()) { nil }
        #expect(kept.facts.meta.requestID == "abc-123")
        let replaced = planner.plan(Self.head("GET /health/live", [("Host", "x"), ("X-Request-ID", "bad id\u{7}")]), now: .now()) { nil }
        #expect(replaced.facts.meta.requestID != "bad id\u{7}" && !replaced.facts.meta.requestID.isEmpty)
    }

    @Test("a client without an identity is limited by its address, asked of the connection once")
    func limitsByAddress() throws {
        let server = try Self.server { $0.limits.rate = 1; $0.limits.burst = 1 }
        var planner = RequestPlanner(server: server, requestIDs: RequestIDGenerator())
        var asked = 0
        let peer = { () -> SocketAddress? in
            asked += 1
            return try? SocketAddress(ipAddress: "192.0.2.7", port: 1)
        }
        let first = planner.plan(Self.head("GET /api/jobs?ids=a1", [("Host", "x"), Self.bearer]), now: .now(), peer: peer)
        let second = planner.plan(Self.head("GET /api/jobs?ids=a1", [("Host", "x"), Self.bearer]), now: .now(), peer: peer)
        #expect(Self.describe(first) == "poll route=jobs client=mis-1 ids=a1")
        #expect(Self.describe(second) == "refuse 429 too_many_requests route=jobs client=mis-1")
        #expect(asked == 0, "a caller with an identity is limited by it: the address is not even looked up")
        let stranger = planner.plan(Self.head("GET /api/jobs/a1", [("Host", "x")]), now: .now(), peer: peer)
        // Refused before auth, and counted against the address, whose budget is its own.
        #expect(Self.describe(stranger) == "refuse 401 access_denied route=job")
        #expect(asked == 1)
    }
}

extension RequestPlannerTests {
    @Test("X-Forwarded-Proto and X-Forwarded-Host make meta.url only when http.trust_forwarded_headers is on, and only when well formed")
    func forwardedHeaders() throws {
        let headers = [("Host", "internal:8080"), ("X-Forwarded-Proto", "https, http"), ("X-Forwarded-Host", "api.example.com, proxy")]
        let trusted = try Self.server { $0.http.trustForwardedHeaders = true }
        var planner = RequestPlanner(server: trusted, requestIDs: RequestIDGenerator())
        let meta = planner.plan(Self.head("GET /health/live", headers), now: .now()) { nil }.facts.meta
        #expect(meta.scheme == "https" && meta.host == "api.example.com")
        let forged = planner.plan(Self.head("GET /health/live", [("Host", "x"), ("X-Forwarded-Proto", "gopher"), ("X-Forwarded-Host", "a b")]), now: .now()) { nil }
        #expect(forged.facts.meta.scheme == "http" && forged.facts.meta.host == "x")
        var untrusting = RequestPlanner(server: try Self.server(), requestIDs: RequestIDGenerator())
        let ignored = untrusting.plan(Self.head("GET /health/live", headers), now: .now()) { nil }.facts.meta
        #expect(ignored.scheme == "http" && ignored.host == "internal:8080")
    }

    @Test("gateway mode: one consumer id with the gateway's key is the caller; a missing key is 401; two of either is 400 and closes")
    func gateway() throws {
        var configuration = ServerConfiguration()
        configuration.limits.rate = 0
        let server = ServerContext(
            configuration: configuration,
            authentication: .gateway(GatewayAuthenticator(presharedKey: "0123456789abcdef")),
            logger: Logger(label: "test"),
            metricsRegistry: nil
        )
        let psk = ("X-Custom-PSK", "0123456789abcdef")
        let cases: [([(String, String)], String)] = [
            ([("Host", "x"), ("X-Consumer-ID", "mis-7"), psk], "poll route=job client=mis-7 job=a1"),
            ([("Host", "x"), ("X-Consumer-ID", "mis-7")], "refuse 401 access_denied route=job"),
            ([("Host", "x"), ("X-Consumer-ID", "mis-7"), ("X-Custom-PSK", "wrong-key-wrong-key")], "refuse 401 access_denied route=job"),
            ([("Host", "x"), ("X-Consumer-ID", "mis-7"), ("X-Consumer-ID", "mis-8"), psk], "refuse 400 bad_request route=job close"),
            ([("Host", "x"), ("X-Consumer-ID", "mis-7"), psk, psk], "refuse 400 bad_request route=job close"),
        ]
        for (headers, expected) in cases {
            var planner = RequestPlanner(server: server, requestIDs: RequestIDGenerator())
            #expect(Self.describe(planner.plan(Self.head("GET /api/jobs/a1", headers), now: .now()) { nil }) == expected, "\(headers)")
        }
    }

    @Test("a valid traceparent's trace id is kept for the log; a malformed or repeated one is not")
    func traceParent() throws {
        var planner = RequestPlanner(server: try Self.server(), requestIDs: RequestIDGenerator())
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let cases: [([(String, String)], Substring?)] = [
            ([("Host", "x"), ("traceparent", valid)], "4bf92f3577b34da6a3ce929d0e0e4736"),
            ([("Host", "x"), ("traceparent", "00-zz-00f067aa0ba902b7-01")], nil),
            ([("Host", "x"), ("traceparent", valid), ("traceparent", valid)], nil),
        ]
        for (headers, expected) in cases {
            #expect(planner.plan(Self.head("GET /health/live", headers), now: .now()) { nil }.facts.trace?.traceID == expected, "\(headers)")
        }
    }

    @Test("each long poll and stream takes one of its client's waiter slots; past limits.max_waiters_per_client the answer is 429")
    func waiterSlots() throws {
        let server = try Self.server { $0.limits.maxWaitersPerClient = 2 }
        var planner = RequestPlanner(server: server, requestIDs: RequestIDGenerator())
        let lines = ["GET /api/jobs/a1?wait=5", "GET /api/jobs/a1/events", "GET /api/jobs/a1?wait=5"]
        let planned = lines.map { planner.plan(Self.head($0, [("Host", "x"), Self.bearer]), now: .now()) { nil } }
        #expect(planned.map(Self.describe) == [
            "poll wait=5s route=job_wait client=mis-1 job=a1", "stream route=events client=mis-1 job=a1",
            "refuse 429 too_many_requests route=job_wait client=mis-1 job=a1",
        ])
        #expect(planned.map(\.facts.waiterKey) == ["mis-1", "mis-1", nil])
        server.limits.stopWaiting("mis-1")
        #expect(Self.describe(planner.plan(Self.head(lines[0], [("Host", "x"), Self.bearer]), now: .now()) { nil }).hasPrefix("poll wait=5s"))
    }
}
