import JobStatusConfiguration
import Testing

@testable import JobStatusServer

/// Which `OTEL_*` values turn tracing on, and which this build refuses rather than let swift-otel
/// stop the process.
@Suite("Tracing set-up")
struct TracingSetupTests {
    static let endpoint = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]

    @Test("on only with an endpoint, and not when disabled", arguments: [
        ([:], false),
        (["OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"], false),
        (TracingSetupTests.endpoint, true),
        (["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"], true),
        (TracingSetupTests.endpoint.merging(["OTEL_SDK_DISABLED": "true"]) { a, _ in a }, false),
        (TracingSetupTests.endpoint.merging(["OTEL_SDK_DISABLED": "TRUE"]) { a, _ in a }, false),
        (TracingSetupTests.endpoint.merging(["OTEL_SDK_DISABLED": "false"]) { a, _ in a }, true),
        (TracingSetupTests.endpoint.merging(["OTEL_TRACES_EXPORTER": "none"]) { a, _ in a }, false),
        (TracingSetupTests.endpoint.merging(["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_PROPAGATORS": "tracecontext"]) { a, _ in a }, true),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "  "], false),
    ] as [([String: String], Bool)])
    func enabled(environment: [String: String], on: Bool) throws {
        #expect(try TracingSetup.isEnabled(environment) == on)
    }

    @Test("what swift-otel would stop the process for is a configuration error naming the variable", arguments: [
        "OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc", "OTEL_PROPAGATORS=tracecontext,baggage",
        "OTEL_PROPAGATORS=b3", "OTEL_TRACES_SAMPLER=jaeger_remote", "OTEL_TRACES_SAMPLER=xray", "OTEL_TRACES_EXPORTER=console",
    ])
    func refused(_ assignment: String) {
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        let environment = Self.endpoint.merging([parts[0]: parts[1]]) { a, _ in a }
        #expect {
            try TracingSetup.isEnabled(environment)
        } throws: { error in
            "\(error)".contains(parts[0])
        }
    }
}
