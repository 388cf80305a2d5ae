import Instrumentation
import Tracing

/// The front's spans (`OTEL_*`, `TracingSetup`): one server span per request, parented on its
/// `traceparent`, and child spans for its Redis reads and for the wait of a long poll or stream.
/// Shared by every connection; without tracing configured there is none and a request costs a nil
/// check.
public final class RequestTracer: Sendable {
    private let tracer: any Tracer

    init(_ tracer: any Tracer) {
        self.tracer = tracer
    }

    /// The server span of a request planned now, begun now: when its head was parsed, the
    /// moment its `startedAt` (and the request duration metric) counts from.
    func startRequest(_ facts: RequestFacts) -> any Span {
        var parent = ServiceContext.topLevel
        if let trace = facts.trace {
            self.tracer.extract(trace, into: &parent, using: TraceHeadersExtractor())
        }
        return self.tracer.startSpan(facts.route.spanName(method: facts.method), context: parent, ofKind: .server)
    }

    /// A span inside `parent`, begun now.
    func startChild(_ name: String, of parent: any Span, kind: SpanKind) -> any Span {
        self.tracer.startSpan(name, context: parent.context, ofKind: kind)
    }
}

/// Reads a request's validated trace headers for the tracer's W3C propagator.
private struct TraceHeadersExtractor: Extractor {
    func extract(key: String, from carrier: TraceHeaders) -> String? {
        switch key {
        case "traceparent": carrier.parent
        case "tracestate": carrier.state
        default: nil
        }
    }
}
