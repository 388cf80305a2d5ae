import JobStatusCore
import Logging
import NIOCore

/// Rendering answers: envelopes, errors, health, metrics, event-stream parts. Every body is
/// written into the loop's `bodyScratch` and framed into one buffer, so an answer is one write.
extension JobRequestHandler {
    /// Renders and writes the answer the machine chose.
    ///
    /// - Parameter record: the outcome just read; `record` and `streamEnd` answers come from it.
    func answer(
        _ request: PlannedRequest,
        _ answer: ConnectionStateMachine.Answer,
        ending: ConnectionStateMachine.Ending,
        record: JobReadOutcome?,
        context: ChannelHandlerContext
    ) {
        switch answer {
        case .immediate:
            switch request.work {
            case .refuse(let error, let headers):
                self.send(error, headers: headers, request: request, ending: ending, context: context)
            case .live:
                self.sendHealth(.ready, request: request, ending: ending, context: context)
            case .metrics:
                self.sendMetrics(request: request, ending: ending, context: context)
            case .document:
                self.loop.bodyScratch.clear()
                self.loop.bodyScratch.writeBytes(PackageResources.openapi_yaml)
                self.send(.ok, headers: ResponseHeaders(cacheControl: .noCache), contentType: .yaml, request: request, ending: ending, context: context)
            case .probe, .poll, .stream:
                self.send(.internalError, headers: ResponseHeaders(cacheControl: .noStore), request: request, ending: ending, context: context)
            }
        case .record:
            if let list = request.context.list {
                self.send(list, request: request, ending: ending, context: context)
                return
            }
            guard let record else {
                self.send(.internalError, headers: ResponseHeaders(cacheControl: .noStore), request: request, ending: ending, context: context)
                return
            }
            self.send(record, request: request, ending: ending, context: context)
        case .unavailable:
            self.send(.serviceUnavailable, headers: ResponseHeaders(retryAfter: 1, cacheControl: .noStore), request: request, ending: ending, context: context)
        case .health(let health):
            self.sendHealth(health, request: request, ending: ending, context: context)
        case .streamEnd(let parts):
            self.writeStream(parts, request: request, record: record, context: context)
            var last: ByteBuffer?
            if !request.isHTTP10 && !request.isHead {
                last = context.channel.allocator.buffer(capacity: 8)
                last!.writeStaticString(EventStreamFraming.lastChunk)
            }
            self.requestAnswered(request, status: 200)
            self.write(last, ending: ending, context: context)
        }
    }

    /// Answers a request that could not be parsed, after the requests before it; then closes.
    func refuse(_ error: APIError, context: ChannelHandlerContext) {
        let meta = EnvelopeMeta(scheme: "http", host: self.server.defaultAuthority, path: "", requestID: self.loop.requestIDs.next())
        let request = PlannedRequest(
            work: .refuse(error, ResponseHeaders()),
            isHead: false,
            isHTTP10: false,
            connection: .close,
            context: RequestContext(meta: meta, startedAt: context.eventLoop.now)
        )
        self.send(error, headers: ResponseHeaders(cacheControl: .noStore), request: request, ending: .close, context: context)
    }

    // MARK: - Polls

    /// A poll's answer from the record: the envelope, 304, 404 or 500.
    private func send(_ outcome: JobReadOutcome, request: PlannedRequest, ending: ConnectionStateMachine.Ending, context: ChannelHandlerContext) {
        if !request.isStream {
            PollStateMetrics.record(PollStateMetrics.State(outcome))
        }
        switch outcome {
        case .notFound:
            let headers = ResponseHeaders(cacheControl: .noStore, appliedWait: request.context.appliedWait)
            self.send(.jobNotFound, headers: headers, request: request, ending: ending, context: context)
        case .contractViolation:
            self.send(.internalError, headers: ResponseHeaders(cacheControl: .noStore), request: request, ending: ending, context: context)
        case .notModified(let status, let eta, let tag):
            self.loop.bodyScratch.clear()
            var headers = self.cachingHeaders(status: status, eta: eta, tag: tag)
            headers.appliedWait = request.context.appliedWait
            self.send(.notModified, headers: headers, request: request, ending: ending, context: context)
        case .found(let job):
            self.writeEnvelope(job, request: request)
            var headers = self.cachingHeaders(status: job.status, eta: job.eta, tag: job.tag)
            headers.appliedWait = request.context.appliedWait
            if self.server.configuration.locationHeader, case .links(let links) = job.body {
                headers.location = Self.locationValue(links)
            }
            self.send(job.httpStatus == 303 ? .seeOther : .ok, headers: headers, request: request, ending: ending, context: context)
        }
    }

    /// A job list's answer: its envelope, or 304 when `If-None-Match` named its state.
    private func send(_ list: JobListRead, request: PlannedRequest, ending: ConnectionStateMachine.Ending, context: ChannelHandlerContext) {
        list.recordPollStates()
        self.loop.bodyScratch.clear()
        var headers = ResponseHeaders(cacheControl: .noCache, appliedWait: request.context.appliedWait)
        headers.entityTag = list.tag.map(ResponseHeaders.Tag.list)
        if let eta = list.earliestPendingETA {
            headers.retryAfter = self.retryAfter(untilETA: eta)
        }
        if list.isNotModified {
            self.send(.notModified, headers: headers, request: request, ending: ending, context: context)
            return
        }
        EnvelopeWriter.writeList(meta: request.context.meta, into: &self.loop.bodyScratch) { list.writeItems(into: &$0) }
        self.send(.ok, headers: headers, request: request, ending: ending, context: context)
    }

    /// The job's envelope, into `bodyScratch`.
    private func writeEnvelope(_ job: JobReadResult, request: PlannedRequest) {
        self.loop.bodyScratch.clear()
        var id = request.context.jobID
        id.withUTF8 { id in
            EnvelopeWriter.writeJob(job, id: UnsafeRawBufferPointer(id), meta: request.context.meta, into: &self.loop.bodyScratch)
        }
    }

    /// `ETag`, `Cache-Control` and, while pending, `Retry-After` (seconds until the eta).
    private func cachingHeaders(status: JobStatus, eta: StoredETA, tag: EntityTag?) -> ResponseHeaders {
        var headers = ResponseHeaders(entityTag: tag.map(ResponseHeaders.Tag.job))
        let configuration = self.server.configuration
        if status.isTerminal {
            headers.cacheControl = .privateMaxAge(Int(configuration.terminalMaxAge.wholeSecondsRoundedUp))
        } else {
            headers.cacheControl = .noCache
            headers.retryAfter = self.retryAfter(untilETA: eta.millisecondsSinceEpoch)
        }
        return headers
    }

    /// `Retry-After` of a pending job: the seconds until its eta, within `polling.retry_after_min`
    /// and `polling.retry_after_max`.
    private func retryAfter(untilETA eta: Int64) -> Int {
        let configuration = self.server.configuration
        let minimum = configuration.retryAfterMin.wholeSecondsRoundedUp
        let maximum = configuration.retryAfterMax.wholeSecondsRoundedUp
        let remaining = eta - WallClock.millisecondsSinceEpoch()
        return Int(min(max((remaining + 999) / 1000, minimum), maximum))
    }

    /// The first link's href as a `Location` value, if it is plain visible ASCII (no JSON
    /// escapes, nothing that could split a header).
    private static func locationValue(_ links: UnsafeRawBufferPointer) -> String? {
        guard let href = JSONScanner.firstLinkHref(links), !href.isEmpty,
            href.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
        else { return nil }
        return String(decoding: href, as: UTF8.self)
    }

    // MARK: - Event streams

    /// Writes (without flushing) the parts of an event stream: its head, then one event.
    func writeStream(
        _ parts: ConnectionStateMachine.StreamParts,
        request: PlannedRequest,
        record: JobReadOutcome?,
        context: ChannelHandlerContext
    ) {
        if parts.head {
            let head = HTTPResponseComposer.composeEventStreamHead(
                requestID: request.context.meta.requestID,
                date: self.loop.dates.now(),
                chunked: !request.isHTTP10,
                allocator: context.channel.allocator
            )
            context.write(self.wrapOutboundOut(head), promise: nil)
        }
        guard let event = parts.event else { return }
        var payload: ByteBuffer
        switch event {
        case .heartbeat:
            payload = context.channel.allocator.buffer(capacity: 16)
            EventStreamFraming.heartbeat(into: &payload)
        case .job:
            guard case .found(let job) = record else { return }
            self.writeEnvelope(job, request: request)
            payload = context.channel.allocator.buffer(capacity: self.loop.bodyScratch.readableBytes + 64)
            EventStreamFraming.event(id: job.tag?.versionNumber, name: nil, data: self.loop.bodyScratch, into: &payload)
        case .gone:
            let isNotFound: Bool
            if case .notFound = record { isNotFound = true } else { isNotFound = false }
            let error: APIError = isNotFound ? .jobNotFound : .internalError
            self.loop.bodyScratch.clear()
            EnvelopeWriter.writeError(code: error.status.code, type: error.type, message: error.message, meta: request.context.meta, into: &self.loop.bodyScratch)
            payload = context.channel.allocator.buffer(capacity: self.loop.bodyScratch.readableBytes + 32)
            EventStreamFraming.event(id: nil, name: "gone", data: self.loop.bodyScratch, into: &payload)
        }
        let framed = EventStreamFraming.frame(payload, chunked: !request.isHTTP10, allocator: context.channel.allocator)
        context.write(self.wrapOutboundOut(framed), promise: nil)
    }

    // MARK: - Framing

    private func send(
        _ error: APIError,
        headers: ResponseHeaders,
        request: PlannedRequest,
        ending: ConnectionStateMachine.Ending,
        context: ChannelHandlerContext
    ) {
        self.loop.bodyScratch.clear()
        EnvelopeWriter.writeError(
            code: error.status.code,
            type: error.type,
            message: error.message,
            invalid: error.invalid,
            meta: request.context.meta,
            into: &self.loop.bodyScratch
        )
        self.send(error.status, headers: headers, request: request, ending: ending, context: context)
    }

    /// Why Redis is unavailable goes only to the operator port (`metrics.port`) and the log: it
    /// names hosts, ports, users and settings that the API's callers have no business seeing, so
    /// the public port says only the status, even when it also serves `/metrics`.
    private func sendHealth(_ health: StoreHealth, request: PlannedRequest, ending: ConnectionStateMachine.Ending, context: ChannelHandlerContext) {
        self.loop.bodyScratch.clear()
        switch health {
        case .ready:
            self.loop.bodyScratch.writeStaticString(#"{"status":"up"}"#)
        case .unavailable(let reason) where self.server.isOperatorListener:
            self.loop.bodyScratch.writeStaticString(#"{"status":"unavailable","reason":"#)
            self.loop.bodyScratch.writeJSONString(reason)
            self.loop.bodyScratch.writeStaticString("}")
        case .unavailable:
            self.loop.bodyScratch.writeStaticString(#"{"status":"unavailable"}"#)
        }
        let headers = ResponseHeaders(retryAfter: health.isReady ? nil : 1, cacheControl: .noStore)
        self.send(health.isReady ? .ok : .serviceUnavailable, headers: headers, request: request, ending: ending, context: context)
    }

    /// The Prometheus text of every metric.
    private func sendMetrics(request: PlannedRequest, ending: ConnectionStateMachine.Ending, context: ChannelHandlerContext) {
        self.loop.bodyScratch.clear()
        if let registry = self.server.metricsRegistry {
            var text: [UInt8] = []
            registry.emit(into: &text)
            self.loop.bodyScratch.writeBytes(text)
        }
        self.send(.ok, headers: ResponseHeaders(cacheControl: .noStore), contentType: .prometheus, request: request, ending: ending, context: context)
    }

    /// Frames the body in `bodyScratch` and writes the response.
    private func send(
        _ status: ResponseStatus,
        headers: ResponseHeaders,
        contentType: HTTPResponseComposer.ContentType = .json,
        request: PlannedRequest,
        ending: ConnectionStateMachine.Ending,
        context: ChannelHandlerContext
    ) {
        let response = HTTPResponseComposer.compose(
            status: status,
            headers: headers,
            contentType: contentType,
            requestID: request.context.meta.requestID,
            date: self.loop.dates.now(),
            connection: ending == .close ? .close : request.connection,
            body: self.loop.bodyScratch,
            includeBody: !request.isHead,
            allocator: context.channel.allocator
        )
        self.requestAnswered(request, status: status.code)
        self.write(response, ending: ending, context: context)
    }

    /// Records the answered request in the metrics and, when `log.access` is on, the access log:
    /// who asked what, the answer, how long it took.
    private func requestAnswered(_ request: PlannedRequest, status: Int) {
        let elapsed = (self.context?.eventLoop.now ?? .now()) - request.context.startedAt
        self.loop.metrics.record(route: request.context.route, status: status, nanoseconds: elapsed.nanoseconds)
        guard self.server.configuration.accessLog else { return }
        self.log(request).info(
            "request",
            metadata: [
                "method": "\(request.context.method)", "path": "\(request.context.meta.path)", "status": "\(status)",
                "duration_ms": "\(Double(elapsed.nanoseconds / 1000) / 1000)",
                "client_id": "\(request.context.clientID ?? "-")",
            ]
        )
    }

    func log(_ request: PlannedRequest) -> Logger {
        var logger = self.server.logger
        logger[metadataKey: "request_id"] = "\(request.context.meta.requestID)"
        if let traceID = request.context.traceID {
            logger[metadataKey: "trace_id"] = "\(traceID)"
        }
        return logger
    }
}
