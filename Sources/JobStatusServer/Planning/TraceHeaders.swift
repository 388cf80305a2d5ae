import W3CTraceContext

/// A request's W3C Trace Context (https://www.w3.org/TR/trace-context/): its valid `traceparent`,
/// and its `tracestate` when the two parse together. The trace id goes on every log line about the
/// request (`trace_id`, beside `request_id`); with tracing on, the request's span is its child.
///
/// Parsed by swift-w3c-trace-context: version `00`, lowercase hex, neither id all zeros. Anything
/// else is no trace: the headers are ignored, never an error.
struct TraceHeaders {
    /// The `traceparent` value, as sent (valid: 55 characters).
    let parent: String
    /// The `tracestate` value, only when it is valid with `parent`: a tracer would drop both
    /// otherwise (and log about it, which a stranger must not be able to cause).
    let state: String?

    /// Nil when `parent` is not a valid `traceparent`.
    init?(parent: String, state: String?) {
        // One parse in the usual cases (no tracestate, or a valid one); a second only to keep the
        // traceparent of an invalid tracestate.
        if let state, (try? TraceContext(traceParentHeaderValue: parent, traceStateHeaderValue: state)) != nil {
            self.state = state
        } else if (try? TraceContext(traceParentHeaderValue: parent)) != nil {
            self.state = nil
        } else {
            return nil
        }
        self.parent = parent
    }

    /// The trace id: characters 3..<35 of a valid `traceparent`, without copying them.
    var traceID: Substring {
        let start = self.parent.utf8.index(self.parent.startIndex, offsetBy: 3)
        return self.parent[start..<self.parent.utf8.index(start, offsetBy: 32)]
    }
}
