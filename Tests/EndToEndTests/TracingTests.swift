import Foundation
import JobStatusWriter
import Testing

extension RedisOnly {
    /// OpenTelemetry tracing through the real binary, into an OTLP/HTTP receiver of the test's own
    /// (scripts/testing/otlp_receiver.py, which decodes with the `opentelemetry-proto` package).
    @Suite("OpenTelemetry traces")
    struct TracingTests {
        /// The collector, as a child process: one `span {json}` line per span it received.
        final class Collector: Sendable {
            let port: Int
            let child: ChildProcess

            init() async throws {
                let port = freePort()
                self.port = port
                self.child = try await TestScript.start(
                    "otlp_receiver.py", name: "otlp-\(port)", arguments: [String(port)], directory: makeTemporaryDirectory("otlp")
                )
            }

            var endpoint: String { "http://127.0.0.1:\(self.port)" }

            /// Every span received so far.
            var spans: [Span] {
                self.child.log.split(separator: "\n").compactMap { line in
                    guard line.hasPrefix("span ") else { return nil }
                    return try? JSONDecoder().decode(Span.self, from: Data(line.dropFirst(5).utf8))
                }
            }
        }

        struct Span: Decodable {
            enum Value: Decodable, Equatable {
                case text(String)
                case number(Int)
                case flag(Bool)

                init(from decoder: any Decoder) throws {
                    let container = try decoder.singleValueContainer()
                    if let flag = try? container.decode(Bool.self) {
                        self = .flag(flag)
                    } else if let number = try? container.decode(Int.self) {
                        self = .number(number)
                    } else {
                        self = .text(try container.decode(String.self))
                    }
                }
            }

            let name: String
            /// OTLP's SpanKind: 2 server, 3 client, 1 internal.
            let kind: Int
            let trace_id: String
            let span_id: String
            let parent_span_id: String
            let start: UInt64
            let end: UInt64
            /// 0 unset, 2 error.
            let status: Int
            let attributes: [String: Value]
            let service: String?
        }

        static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        static let parentID = "00f067aa0ba902b7"

        static func front(_ name: String, _ environment: [String: String]) async throws -> (Front, JobWriter) {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            var variables = ["OTEL_BSP_SCHEDULE_DELAY": "100", "LOG_ACCESS": "true", "LOG_FORMAT": "json"]
            variables.merge(environment) { _, new in new }
            return (try await Front.start(name, redis: redis, environment: variables), writer)
        }

        @Test("a poll sent with a traceparent: its server span and its Redis span reach the collector, in that trace, under that parent; the access log's trace_id is the span's")
        func pollSpans() async throws {
            let collector = try await Collector()
            defer { Task { await collector.child.kill() } }
            let (front, writer) = try await Self.front(
                "tracing", ["OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_SERVICE_NAME": "jobstatus-e2e"]
            )
            defer { Task { await front.child.kill() } }
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            let traceparent = ("traceparent", "00-\(Self.traceID)-\(Self.parentID)-01")
            #expect(try await front.get("/api/jobs/\(id)", headers: [traceparent]).status == 200)
            #expect(try await front.get("/api/jobs/\(id)", token: Tokens.other, headers: [traceparent]).status == 404)
            #expect(try await front.get("/api/jobs/\(id)?wait=1", headers: [traceparent]).status == 200)

            // Front.start's /health/live probes have server spans too, in traces of their own.
            #expect(await eventually { collector.spans.filter { $0.kind == 2 && $0.trace_id == Self.traceID }.count >= 3 })
            let spans = collector.spans.filter { $0.trace_id == Self.traceID }
            let servers = spans.filter { $0.kind == 2 }.sorted { $0.start < $1.start }
            try #require(servers.count == 3, "\(spans.map(\.name))")
            let (owned, foreign, held) = (servers[0], servers[1], servers[2])
            print("spans received: \(spans.map { "\($0.name) (kind \($0.kind), parent \($0.parent_span_id), \(Double($0.end - $0.start) / 1e6) ms)" })")
            for server in servers {
                #expect(server.name == "GET /api/jobs/{id}")
                #expect(server.parent_span_id == Self.parentID, "the gateway's span is the parent")
                #expect(server.service == "jobstatus-e2e")
                #expect(server.attributes["http.route"] == .text("/api/jobs/{id}"))
                #expect(server.attributes["http.request.method"] == .text("GET"))
                let reads = spans.filter { $0.kind == 3 && $0.parent_span_id == server.span_id }
                #expect(reads.map(\.name).allSatisfy { $0 == "redis read job" } && !reads.isEmpty, "\(server.name): \(reads.map(\.name))")
                #expect(reads.allSatisfy { $0.attributes["db.system.name"] == .text("redis") && $0.start >= server.start && $0.end <= server.end })
            }
            #expect(owned.attributes["http.response.status_code"] == .number(200))
            #expect(owned.attributes["jobstatus.job_id"] == .text(id), "the caller's job")
            #expect(owned.attributes["jobstatus.client_id"] == .text("mis-1"))
            #expect(foreign.attributes["http.response.status_code"] == .number(404))
            #expect(foreign.attributes["jobstatus.job_id"] == nil, "a 404 says nothing of whose the id is")
            #expect(held.attributes["jobstatus.wait_seconds"] == .number(1))
            #expect(spans.contains { $0.name == "wait for a change" && $0.parent_span_id == held.span_id })

            let accessLines = front.logLines("request", containing: id)
            #expect(accessLines.count == 3)
            #expect(accessLines.allSatisfy { $0.contains(#""trace_id":"\#(Self.traceID)""#) }, "\(accessLines)")
        }

        @Test("without a traceparent a poll starts a trace of its own, which the access log names")
        func rootSpan() async throws {
            let collector = try await Collector()
            defer { Task { await collector.child.kill() } }
            let (front, _) = try await Self.front("tracing-root", ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "\(collector.endpoint)/v1/traces"])
            defer { Task { await front.child.kill() } }
            #expect(try await front.get("/api/jobs/\(uniqueID())").status == 404)
            #expect(await eventually { collector.spans.contains { $0.kind == 2 && $0.name == "GET /api/jobs/{id}" } })
            let server = try #require(collector.spans.first { $0.kind == 2 && $0.name == "GET /api/jobs/{id}" })
            #expect(server.parent_span_id.isEmpty)
            #expect(server.service == "jobstatus")
            #expect(front.child.log.contains(#""trace_id":"\#(server.trace_id)""#))
        }

        @Test("with tracing off nothing is sent: OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER=none, or no endpoint")
        func off() async throws {
            let collector = try await Collector()
            defer { Task { await collector.child.kill() } }
            for (name, environment) in [
                ("disabled", ["OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_SDK_DISABLED": "true"]),
                ("none", ["OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_TRACES_EXPORTER": "none"]),
                ("unset", [:]),
            ] {
                let (front, _) = try await Self.front("tracing-off-\(name)", environment)
                for _ in 0..<20 {
                    _ = try await front.get("/api/jobs/\(uniqueID())", headers: [("traceparent", "00-\(Self.traceID)-\(Self.parentID)-01")])
                }
                #expect(await front.terminate() == 0)
                #expect(front.child.log.contains(#""trace_id":"\#(Self.traceID)""#), "the trace id is still logged")
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(collector.spans.isEmpty, "\(collector.child.log)")
        }

        @Test("values swift-otel cannot honour in this build are configuration errors, not crashes", arguments: [
            ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"], ["OTEL_PROPAGATORS": "tracecontext,baggage"], ["OTEL_TRACES_SAMPLER": "xray"],
            ["OTEL_TRACES_EXPORTER": "zipkin"],
        ])
        func refused(_ variables: [String: String]) async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            var environment = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "REDIS_URL": redis.url, "AUTH_MODE": "none", "HTTP_PORT": "\(freePort())"]
            environment.merge(variables) { _, new in new }
            let run = try await Binary.run(["serve"], environment: environment)
            print("\(variables): exit \(run.status), \(run.error.trimmingCharacters(in: .whitespacesAndNewlines))")
            #expect(run.status == 78)
            #expect(run.error.contains(variables.keys.first!))
        }
    }
}
