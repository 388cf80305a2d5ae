import JobStatusCore
import NIOCore

/// Renders answers into bytes: envelopes, errors, health, metrics, event-stream parts. A plain
/// value — a planned request and an answer in, buffers out — so every answer can be tested
/// without a channel. Every body is written into the loop's `bodyScratch` and framed into one
/// buffer, the loop's `responseScratch`, so an answer is one write and, once the socket took it,
/// the next answer reuses its memory.
struct AnswerRenderer {
    let server: ServerContext
    let loop: LoopResources
    let allocator: ByteBufferAllocator

    /// The bytes of an event stream's parts, in the order they are written.
    struct StreamOutput {
        var head: ByteBuffer?
        var event: ByteBuffer?
    }

    /// The bytes of an answer: an event stream's last parts (if it was one), then `last` — the
    /// whole response, or a stream's last chunk — and the status the metrics and the access log
    /// record.
    struct Output {
        var stream = StreamOutput()
        var last: ByteBuffer?
        var status: Int
    }

    /// The answer the machine chose, rendered.
    func render(_ answer: ConnectionMachine.Answer, for request: PlannedRequest, ending: AnswerEnding) -> Output {
        switch answer {
        case .immediate(.refuse(let error, let headers)):
            return self.respond(error, headers: headers, request: request, ending: ending)
        case .immediate(.live):
            return self.health(.ready, keys: nil, request: request, ending: ending)
        case .immediate(.metrics):
            return self.metrics(request: request, ending: ending)
        case .immediate(.document):
            self.loop.bodyScratch.clear()
            self.loop.bodyScratch.writeBytes(PackageResources.openapi_yaml)
            return self.respond(.ok, headers: ResponseHeaders(cacheControl: .noCache), contentType: .yaml, request: request, ending: ending)
        case .record(.job(let outcome)):
            return self.poll(outcome, request: request, ending: ending)
        case .record(.list(let list)):
            return self.list(list, request: request, ending: ending)
        case .unavailable:
            return self.respond(.serviceUnavailable, headers: ResponseHeaders(retryAfter: 1, cacheControl: .noStore), request: request, ending: ending)
        case .health(let health):
            return self.health(health, keys: self.server.keySource?.health, request: request, ending: ending)
        case .streamEnd(let parts):
            var output = Output(stream: self.render(parts, for: request), status: 200)
            if !request.isHTTP10 && !request.isHead {
                var last = self.allocator.buffer(capacity: 8)
                last.writeStaticString(EventStreamFraming.lastChunk)
                output.last = last
            }
            return output
        }
    }

    // MARK: - Polls

    /// A poll's answer from the record: the envelope, 304, 404 or 500.
    private func poll(_ outcome: JobReadOutcome, request: PlannedRequest, ending: AnswerEnding) -> Output {
        if !request.isStream {
            PollStateMetrics.record(PollStateMetrics.State(outcome))
        }
        switch outcome {
        case .notFound:
            let headers = ResponseHeaders(cacheControl: .noStore, appliedWait: request.facts.appliedWait)
            return self.respond(.jobNotFound, headers: headers, request: request, ending: ending)
        case .contractViolation:
            return self.respond(.internalError, headers: ResponseHeaders(cacheControl: .noStore), request: request, ending: ending)
        case .notModified(let status, let eta, let tag):
            self.loop.bodyScratch.clear()
            var headers = self.cachingHeaders(status: status, eta: eta, tag: tag)
            headers.appliedWait = request.facts.appliedWait
            return self.respond(.notModified, headers: headers, request: request, ending: ending)
        case .found(let job):
            self.writeEnvelope(job, request: request)
            var headers = self.cachingHeaders(status: job.status, eta: job.eta, tag: job.tag)
            headers.appliedWait = request.facts.appliedWait
            if self.server.configuration.http.locationHeader, case .links(_, let firstHref) = job.body, Self.isLocationValue(firstHref) {
                headers.location = firstHref
            }
            return self.respond(job.httpStatus == 303 ? .seeOther : .ok, headers: headers, request: request, ending: ending)
        }
    }

    /// A job list's answer: its envelope, or 304 when `If-None-Match` named its state.
    private func list(_ list: JobListRead, request: PlannedRequest, ending: AnswerEnding) -> Output {
        list.recordPollStates()
        var headers = ResponseHeaders(cacheControl: .noCache, appliedWait: request.facts.appliedWait)
        headers.entityTag = list.tag.map(ResponseHeaders.Tag.list)
        if let eta = list.earliestPendingETA {
            headers.retryAfter = self.retryAfter(untilETA: eta)
        }
        if list.isNotModified {
            self.loop.bodyScratch.clear()
            return self.respond(.notModified, headers: headers, request: request, ending: ending)
        }
        self.writeList(list, request: request)
        return self.respond(.ok, headers: headers, request: request, ending: ending)
    }

    /// The job's envelope, into `bodyScratch`.
    private func writeEnvelope(_ job: JobReadResult, request: PlannedRequest) {
        self.loop.bodyScratch.clear()
        var id = request.facts.jobID
        id.withUTF8 { id in
            EnvelopeWriter.writeJob(job, id: UnsafeRawBufferPointer(id), meta: request.facts.meta, into: &self.loop.bodyScratch)
        }
    }

    /// The list's envelope, into `bodyScratch`.
    private func writeList(_ list: JobListRead, request: PlannedRequest) {
        self.loop.bodyScratch.clear()
        EnvelopeWriter.writeList(meta: request.facts.meta, into: &self.loop.bodyScratch) { list.writeItems(into: &$0) }
    }

    /// `ETag`, `Cache-Control` and, while pending, `Retry-After` (seconds until the eta).
    private func cachingHeaders(status: JobStatus, eta: StoredETA, tag: EntityTag?) -> ResponseHeaders {
        var headers = ResponseHeaders(entityTag: tag.map(ResponseHeaders.Tag.job))
        let configuration = self.server.configuration
        if status.isTerminal {
            headers.cacheControl = .privateMaxAge(Int(configuration.polling.terminalMaxAge.wholeSecondsRoundedUp))
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
        let minimum = configuration.polling.retryAfterMin.wholeSecondsRoundedUp
        let maximum = configuration.polling.retryAfterMax.wholeSecondsRoundedUp
        let remaining = eta - WallClock.millisecondsSinceEpoch()
        return Int(min(max((remaining + 999) / 1000, minimum), maximum))
    }

    /// Whether the first link's href may be a `Location` value as it is: plain visible ASCII (no
    /// JSON escapes, nothing that could split a header).
    private static func isLocationValue(_ href: UnsafeRawBufferPointer) -> Bool {
        !href.isEmpty && href.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }
    }

    // MARK: - Event streams

    /// The parts of an event stream: its head, then one event.
    func render(_ parts: ConnectionMachine.StreamParts, for request: PlannedRequest) -> StreamOutput {
        var output = StreamOutput()
        if parts.head {
            output.head = HTTPResponseComposer.composeEventStreamHead(
                requestID: request.facts.meta.requestID,
                date: self.loop.dates.now(),
                chunked: !request.isHTTP10,
                allocator: self.allocator
            )
        }
        let payload: ByteBuffer
        switch parts.event {
        case nil:
            return output
        case .heartbeat:
            var heartbeat = self.allocator.buffer(capacity: 16)
            EventStreamFraming.heartbeat(into: &heartbeat)
            payload = heartbeat
        case .job(let read), .gone(let read):
            // The machine names the event after the read (`job` for a job found, `gone` for one
            // missing or broken); the read is what it says.
            payload = self.event(from: read, request: request)
        }
        output.event = EventStreamFraming.frame(payload, chunked: !request.isHTTP10, allocator: self.allocator)
        return output
    }

    /// The event a read makes: the job's envelope (its version as the event id), or, when the job
    /// is gone, a `gone` event with the error a poll would answer (404, or 500 for a broken record).
    private func event(from read: StoreRead, request: PlannedRequest) -> ByteBuffer {
        let error: APIError
        switch read {
        case .job(.found(let job)):
            self.writeEnvelope(job, request: request)
            var payload = self.allocator.buffer(capacity: self.loop.bodyScratch.readableBytes + 64)
            EventStreamFraming.event(id: job.tag?.versionNumber, name: nil, data: self.loop.bodyScratch, into: &payload)
            return payload
        case .list(let list):
            self.writeList(list, request: request)
            var payload = self.allocator.buffer(capacity: self.loop.bodyScratch.readableBytes + 64)
            EventStreamFraming.event(id: nil, name: nil, data: self.loop.bodyScratch, into: &payload)
            return payload
        case .job(.notFound):
            error = .jobNotFound
        case .job(.contractViolation), .job(.notModified):
            error = .internalError
        }
        self.loop.bodyScratch.clear()
        EnvelopeWriter.writeError(code: error.status.code, type: error.type, message: error.message, meta: request.facts.meta, into: &self.loop.bodyScratch)
        var payload = self.allocator.buffer(capacity: self.loop.bodyScratch.readableBytes + 32)
        EventStreamFraming.event(id: nil, name: "gone", data: self.loop.bodyScratch, into: &payload)
        return payload
    }

    // MARK: - Framing

    private func respond(_ error: APIError, headers: ResponseHeaders, request: PlannedRequest, ending: AnswerEnding) -> Output {
        self.loop.bodyScratch.clear()
        EnvelopeWriter.writeError(
            code: error.status.code,
            type: error.type,
            message: error.message,
            invalid: error.invalid,
            meta: request.facts.meta,
            into: &self.loop.bodyScratch
        )
        return self.respond(error.status, headers: headers, request: request, ending: ending)
    }

    /// Why Redis is unavailable goes only to the operator port (`metrics.port`) and the log: it
    /// names hosts, ports, users and settings that the API's callers have no business seeing, so
    /// the public port says only the status, even when it also serves `/metrics`. The same holds
    /// for the keys of `auth.jwt.jwks_url`: the front is not ready before a first fetch brought
    /// them, and while fetches fail the operator port says so (the keys in use are kept).
    private func health(
        _ health: StoreHealth,
        keys: (loaded: Bool, failure: JWKSRefreshMachine.Failure?)?,
        request: PlannedRequest,
        ending: AnswerEnding
    ) -> Output {
        let keysLoaded = keys?.loaded ?? true
        let isReady = health.isReady && keysLoaded
        let explains = self.server.isOperatorListener
        self.loop.bodyScratch.clear()
        self.loop.bodyScratch.writeStaticString(isReady ? #"{"status":"up""# : #"{"status":"unavailable""#)
        if explains, case .unavailable(let reason) = health {
            self.loop.bodyScratch.writeStaticString(#","reason":"#)
            self.loop.bodyScratch.writeJSONString(reason)
        }
        if explains, let keys, !keysLoaded || keys.failure != nil {
            self.loop.bodyScratch.writeStaticString(keysLoaded ? #","jwks":{"status":"stale""# : #","jwks":{"status":"none""#)
            if let failure = keys.failure {
                self.loop.bodyScratch.writeStaticString(#","error":"#)
                self.loop.bodyScratch.writeJSONString(failure.reason)
                self.loop.bodyScratch.writeStaticString(#","failed_attempts":"#)
                self.loop.bodyScratch.writeString(String(failure.attempts))
                self.loop.bodyScratch.writeStaticString(#","failing_for_seconds":"#)
                self.loop.bodyScratch.writeString(String((ContinuousClock.now - failure.since).components.seconds))
            }
            self.loop.bodyScratch.writeStaticString("}")
        }
        self.loop.bodyScratch.writeStaticString("}")
        let headers = ResponseHeaders(retryAfter: isReady ? nil : 1, cacheControl: .noStore)
        return self.respond(isReady ? .ok : .serviceUnavailable, headers: headers, request: request, ending: ending)
    }

    /// The Prometheus text of every metric.
    private func metrics(request: PlannedRequest, ending: AnswerEnding) -> Output {
        self.loop.bodyScratch.clear()
        if let registry = self.server.metricsRegistry {
            var text: [UInt8] = []
            registry.emit(into: &text)
            self.loop.bodyScratch.writeBytes(text)
        }
        return self.respond(.ok, headers: ResponseHeaders(cacheControl: .noStore), contentType: .prometheus, request: request, ending: ending)
    }

    /// Frames the body in `bodyScratch` into the response.
    private func respond(
        _ status: ResponseStatus,
        headers: ResponseHeaders,
        contentType: HTTPResponseComposer.ContentType = .json,
        request: PlannedRequest,
        ending: AnswerEnding
    ) -> Output {
        HTTPResponseComposer.compose(
            status: status,
            headers: headers,
            contentType: contentType,
            requestID: request.facts.meta.requestID,
            date: self.loop.dates.now(),
            connection: ending == .close ? .close : request.connection,
            body: self.loop.bodyScratch,
            includeBody: !request.isHead,
            into: &self.loop.responseScratch
        )
        return Output(last: self.loop.responseScratch, status: status.code)
    }
}
