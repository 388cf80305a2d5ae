import JobStatusCore
import Testing

@testable import JobStatusServer

/// W3C Trace Context `traceparent` and `tracestate`, as swift-w3c-trace-context parses them: what
/// is a trace, and what is ignored.
@Suite("traceparent")
struct TraceHeadersTests {
    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"

    @Test(
        "valid values give their trace id",
        arguments: [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09",
        ]
    )
    func valid(value: String) {
        #expect(TraceHeaders(parent: value, state: nil)?.traceID == Self.trace[...])
    }

    @Test("a tracestate is kept only when it is valid with its traceparent; an invalid one never costs the trace")
    func state() {
        let parent = "00-\(Self.trace)-00f067aa0ba902b7-01"
        #expect(TraceHeaders(parent: parent, state: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")?.state == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
        let invalid = TraceHeaders(parent: parent, state: "no equals sign here")
        #expect(invalid?.traceID == Self.trace[...])
        #expect(invalid?.state == nil)
    }

    @Test(
        "anything else is no trace",
        arguments: [
            "", "00", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            // Versions after 00 are not parsed by swift-w3c-trace-context 1.0.0.
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-adds",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01",
        ]
    )
    func invalid(value: String) {
        #expect(TraceHeaders(parent: value, state: nil) == nil)
    }

    @Test("the trace id is on every log line about the request, the access log's included; an invalid traceparent adds nothing")
    func logged() throws {
        let harness = try HandlerHarness(configure: { $0.log.access = true }, recordingLogs: true)
        harness.store.write("broken", [.status: "processed", .eta: "2026-01-01T00:00:00.000Z"])
        let header = "traceparent: 00-\(Self.trace)-00f067aa0ba902b7-01\r\n"
        try harness.send(HandlerHarness.poll("/api/jobs/broken", header))
        _ = try harness.output()
        let lines = harness.logs.lines
        #expect(lines.map(\.message) == ["job record breaks the record contract", "request"])
        for line in lines {
            #expect(line.metadata["trace_id"] == Self.trace, "\(line)")
            #expect(line.metadata["request_id"] == "rid")
        }
        try harness.send(HandlerHarness.poll("/api/jobs/x", "traceparent: 00-\(Self.trace)-0000000000000000-01\r\n"))
        _ = try harness.output()
        #expect(harness.logs.lines.count == 3)
        #expect(harness.logs.lines.last?.metadata["trace_id"] == nil)
        #expect(harness.logs.lines.last?.metadata["request_id"] == "rid")
    }
}
