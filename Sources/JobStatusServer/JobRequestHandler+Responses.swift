import JobStatusCore
import NIOCore

/// Framing and sending responses, and moving on to the next request.
extension JobRequestHandler {
    func respond(_ error: APIError, headers: ResponseHeaders, context: ChannelHandlerContext) {
        guard let request = self.request else { return }
        self.loop.bodyScratch.clear()
        EnvelopeWriter.writeError(
            code: error.status.code,
            type: error.type,
            message: error.message,
            invalid: error.invalid,
            meta: request.meta,
            into: &self.loop.bodyScratch
        )
        self.send(error.status, headers: headers, context: context)
    }

    func respondHealth(ready: Bool, context: ChannelHandlerContext) {
        self.loop.bodyScratch.clear()
        self.loop.bodyScratch.writeStaticString(ready ? #"{"status":"up"}"# : #"{"status":"unavailable"}"#)
        self.send(
            ready ? .ok : .serviceUnavailable,
            headers: ResponseHeaders(retryAfter: ready ? nil : 1, cacheControl: .noStore),
            context: context
        )
    }

    /// The Prometheus text of every metric.
    func respondMetrics(context: ChannelHandlerContext) {
        self.loop.bodyScratch.clear()
        if let registry = self.server.metricsRegistry {
            var text: [UInt8] = []
            registry.emit(into: &text)
            self.loop.bodyScratch.writeBytes(text)
        }
        self.send(.ok, headers: ResponseHeaders(cacheControl: .noStore), contentType: .prometheus, context: context)
    }

    /// A request that could not be parsed: answered after the requests before it, then closed.
    func respondToProtocolError(_ error: APIError, context: ChannelHandlerContext) {
        self.request = Request(
            isHead: false,
            isHTTP10: false,
            connection: .close,
            meta: EnvelopeMeta(
                scheme: "http",
                host: self.server.defaultAuthority,
                path: "",
                requestID: self.loop.requestIDs.next()
            ),
            action: .error(error, ResponseHeaders())
        )
        self.respond(error, headers: ResponseHeaders(cacheControl: .noStore), context: context)
    }

    /// Frames the body in `bodyScratch` and sends the response.
    func send(
        _ status: ResponseStatus,
        headers: ResponseHeaders,
        contentType: HTTPResponseComposer.ContentType = .json,
        context: ChannelHandlerContext
    ) {
        guard let request = self.request else { return }
        let connection = self.quiescing ? .close : request.connection
        let response = HTTPResponseComposer.compose(
            status: status,
            headers: headers,
            contentType: contentType,
            requestID: request.meta.requestID,
            date: self.loop.dates.now(),
            connection: connection,
            body: self.loop.bodyScratch,
            includeBody: !request.isHead,
            allocator: context.channel.allocator
        )
        self.requestAnswered(status: status.code)
        self.finish(closing: connection == .close, last: response, context: context)
    }

    /// Records the answered request in the metrics and, when `log.access` is on, the access log:
    /// who asked what, the answer, how long it took.
    func requestAnswered(status: Int) {
        guard let request = self.request else { return }
        let elapsed = NIODeadline.now() - request.startedAt
        self.loop.metrics.record(route: request.route, status: status, nanoseconds: elapsed.nanoseconds)
        guard self.server.configuration.accessLog else { return }
        self.log(request).info(
            "request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.meta.path)", "status": "\(status)",
                "duration_ms": "\(Double(elapsed.nanoseconds / 1000) / 1000)",
                "client_id": "\(request.clientID ?? "-")",
            ]
        )
    }

    /// Ends the current request with `last` (if any) on the wire; then either closes the
    /// connection or moves on to the next pipelined request.
    func finish(closing: Bool, last: ByteBuffer?, context: ChannelHandlerContext) {
        self.stopWatching()
        self.request = nil
        if closing {
            self.phase = .closing
            self.queued.removeAll()
            let written = context.eventLoop.makePromise(of: Void.self)
            if let last {
                context.writeAndFlush(self.wrapOutboundOut(last), promise: written)
            } else {
                context.flush()
                written.succeed()
            }
            written.futureResult.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            self.phase = .idle
            if let last {
                context.writeAndFlush(self.wrapOutboundOut(last), promise: nil)
            } else {
                context.flush()
            }
            self.timeouts.responseSent()
            self.drainQueue(context: context)
        }
    }
}
