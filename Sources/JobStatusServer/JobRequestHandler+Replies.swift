import JobStatusCore
import Logging
import NIOCore
import RedisWire

/// Turning Redis replies into answers.
extension JobRequestHandler: RedisReplyReceiver {
    func receive(_ reply: RedisReply) {
        guard self.phase == .reading, let request = self.request, let context = self.context else { return }
        switch request.action {
        case .ready:
            self.respondHealth(ready: reply.kind == .simpleString && reply.bytesEqual("PONG"), context: context)
        case .readJob, .streamEvents:
            self.answerRecord(reply, request: request, context: context)
        case .error, .live, .metrics, .document:
            break
        }
    }

    func fail(_ error: RedisError) {
        guard self.phase == .reading, let request = self.request, let context = self.context else { return }
        switch request.action {
        case .ready:
            self.respondHealth(ready: false, context: context)
        case .streamEvents where self.streamStarted:
            // The stream carries on; the next heartbeat reads again.
            self.park(for: .stream)
        default:
            self.respond(.serviceUnavailable, headers: ResponseHeaders(retryAfter: 1, cacheControl: .noStore), context: context)
        }
    }

    private func answerRecord(_ reply: RedisReply, request: Request, context: ChannelHandlerContext) {
        if reply.kind == .error {
            let message = reply.string
            self.log(request).error("Redis refused the job read", metadata: ["redis_error": "\(message)"])
            if message.hasPrefix("WRONGTYPE") {
                self.answer(.contractViolation("the key does not hold a hash"), request: request, context: context)
            } else {
                self.fail(.server(message))
            }
            return
        }
        guard let record = JobRecordQuery.view(of: reply) else {
            self.answer(.contractViolation("HMGET answered \(reply.value)"), request: request, context: context)
            return
        }
        // An event stream sends whole states; If-None-Match is for polls.
        let ifNoneMatch = self.readPurpose == .stream ? nil : request.ifNoneMatch
        var clientID = request.clientID
        var condition = ifNoneMatch
        let outcome: JobReadOutcome = Self.withOptionalUTF8(&clientID) { caller in
            Self.withOptionalUTF8(&condition) { ifNoneMatch in
                JobReadOutcome.decide(record, caller: caller, ifNoneMatch: ifNoneMatch)
            }
        }
        self.answer(outcome, request: request, context: context)
    }

    private func answer(_ outcome: JobReadOutcome, request: Request, context: ChannelHandlerContext) {
        if case .contractViolation(let reason) = outcome {
            self.log(request).error(
                "job record breaks the record contract",
                metadata: ["key": "\(self.server.configuration.keyPrefix)\(request.jobID)", "reason": "\(reason)"]
            )
        }
        switch self.readPurpose {
        case .stream:
            self.streamUpdate(outcome, request: request, context: context)
        case .longPoll where Self.hasNothingNew(outcome, conditional: request.ifNoneMatch != nil):
            if self.changedDuringRead {
                self.readRecord(for: .longPoll)
            } else {
                self.park(for: .longPoll)
            }
        case .longPoll, .answer:
            self.respond(outcome, request: request, context: context)
        }
    }

    /// Whether a long poll should wait: the job is pending and the client has nothing older than
    /// this state (it sent no tag, or the tag of this very state). A client whose tag is stale is
    /// behind and gets the current state at once.
    private static func hasNothingNew(_ outcome: JobReadOutcome, conditional: Bool) -> Bool {
        switch outcome {
        case .found(let job): job.status == .pending && !conditional
        case .notModified(let status, _, _): status == .pending
        case .notFound, .contractViolation: false
        }
    }

    /// Answers a poll as the outcome says: the envelope, 304, 404 or 500.
    func respond(_ outcome: JobReadOutcome, request: Request, context: ChannelHandlerContext) {
        switch outcome {
        case .notFound:
            self.respond(.jobNotFound, headers: ResponseHeaders(cacheControl: .noStore, appliedWait: request.appliedWait), context: context)
        case .contractViolation:
            self.respond(.internalError, headers: ResponseHeaders(cacheControl: .noStore), context: context)
        case .notModified(let status, let eta, let tag):
            self.loop.bodyScratch.clear()
            var headers = self.cachingHeaders(status: status, eta: eta, tag: tag)
            headers.appliedWait = request.appliedWait
            self.send(.notModified, headers: headers, context: context)
        case .found(let job):
            self.writeEnvelope(job, request: request)
            var headers = self.cachingHeaders(status: job.status, eta: job.eta, tag: job.tag)
            headers.appliedWait = request.appliedWait
            if self.server.configuration.locationHeader, case .links(let links) = job.body {
                headers.location = Self.locationValue(links)
            }
            self.send(job.httpStatus == 303 ? .seeOther : .ok, headers: headers, context: context)
        }
    }

    /// The job's envelope, into `bodyScratch`.
    func writeEnvelope(_ job: JobReadResult, request: Request) {
        self.loop.bodyScratch.clear()
        var id = request.jobID
        id.withUTF8 { id in
            EnvelopeWriter.writeJob(job, id: UnsafeRawBufferPointer(id), meta: request.meta, into: &self.loop.bodyScratch)
        }
    }

    /// `ETag`, `Cache-Control` and, while pending, `Retry-After` (seconds until the eta).
    private func cachingHeaders(status: JobStatus, eta: StoredETA, tag: EntityTag?) -> ResponseHeaders {
        var headers = ResponseHeaders(entityTag: tag)
        let configuration = self.server.configuration
        if status.isTerminal {
            headers.cacheControl = .privateMaxAge(Int(configuration.terminalMaxAge.wholeSecondsRoundedUp))
        } else {
            headers.cacheControl = .noCache
            let minimum = configuration.retryAfterMin.wholeSecondsRoundedUp
            let maximum = configuration.retryAfterMax.wholeSecondsRoundedUp
            let remaining = eta.millisecondsSinceEpoch - WallClock.millisecondsSinceEpoch()
            headers.retryAfter = Int(min(max((remaining + 999) / 1000, minimum), maximum))
        }
        return headers
    }

    func log(_ request: Request) -> Logger {
        var logger = self.server.logger
        logger[metadataKey: "request_id"] = "\(request.meta.requestID)"
        return logger
    }

    /// The first link's href as a `Location` value, if it is plain visible ASCII (no JSON
    /// escapes, nothing that could split a header).
    private static func locationValue(_ links: UnsafeRawBufferPointer) -> String? {
        guard let href = JSONScanner.firstLinkHref(links), !href.isEmpty,
            href.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
        else { return nil }
        return String(decoding: href, as: UTF8.self)
    }

    private static func withOptionalUTF8<Result>(
        _ text: inout String?,
        _ body: (UnsafeRawBufferPointer?) -> Result
    ) -> Result {
        guard var value = text else { return body(nil) }
        return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
