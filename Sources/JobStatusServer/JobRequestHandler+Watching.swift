import JobStatusCore
import NIOCore

/// Long polls and event streams: subscribe first, then read, so a change between the two is never
/// missed; park until a change, the deadline or the heartbeat; read again and answer.
extension JobRequestHandler: JobWatcher {
    func startWatching(for purpose: ReadPurpose) {
        guard let request = self.request else { return }
        self.readPurpose = purpose
        self.phase = .subscribing
        let key = self.server.configuration.keyPrefix + request.jobID
        self.watchedKey = key
        self.loop.watches.watch(key, self)
    }

    func watchReady(_ subscribed: Bool) {
        guard self.phase == .subscribing else { return }
        if !subscribed {
            // No subscription, no waiting: a long poll answers at once; a stream relies on its
            // heartbeat reads until the next one can subscribe.
            self.watchedKey = nil
            if self.readPurpose == .longPoll {
                self.readPurpose = .answer
            }
        }
        self.readRecord(for: self.readPurpose)
    }

    func jobChanged() {
        switch self.phase {
        case .reading:
            self.changedDuringRead = true
        case .parked:
            self.wakeUp()
        case .idle, .receiving, .subscribing, .closing:
            break
        }
    }

    func subscriptionLost() {
        self.watchedKey = nil
        self.jobChanged()
    }

    /// Waits for a change: until the long poll's deadline, or the stream's next heartbeat.
    func park(for purpose: ReadPurpose) {
        guard let context = self.context, let request = self.request else { return }
        self.phase = .parked
        self.readPurpose = purpose
        let delay = purpose == .stream ? TimeAmount(self.server.configuration.heartbeat) : (request.wait ?? .zero)
        self.parkTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.parkTimer = nil
            self.parkExpired()
        }
    }

    /// A change arrived (or the server is stopping): read again and answer.
    func wakeUp() {
        guard self.phase == .parked else { return }
        self.parkTimer?.cancel()
        self.parkTimer = nil
        self.readRecord(for: self.readPurpose == .longPoll ? .answer : .stream)
    }

    private func parkExpired() {
        guard self.phase == .parked, let context = self.context else { return }
        switch self.readPurpose {
        case .stream:
            var heartbeat = context.channel.allocator.buffer(capacity: 16)
            EventStreamFraming.heartbeat(into: &heartbeat)
            self.writeStreamPayload(heartbeat, context: context)
            if self.watchedKey == nil {
                // Subscribing failed before: try again, then read.
                self.startWatching(for: .stream)
            } else {
                self.readRecord(for: .stream)
            }
        case .longPoll, .answer:
            // The wait is over: answer as a plain poll would.
            self.readRecord(for: .answer)
        }
    }

    /// Leaves the registry and cancels the timer; safe to call at any time.
    func stopWatching() {
        self.parkTimer?.cancel()
        self.parkTimer = nil
        if let client = self.waitingClient {
            self.waitingClient = nil
            self.server.limits.stopWaiting(client)
        }
        if let key = self.watchedKey {
            self.watchedKey = nil
            self.loop.watches.unwatch(key, self)
        }
    }

    // MARK: - Event streams

    /// Sends what a stream read found: the response head on the first read, then one event per
    /// new version; ends after a terminal state or when the job is gone.
    func streamUpdate(_ outcome: JobReadOutcome, request: Request, context: ChannelHandlerContext) {
        guard self.streamStarted else {
            guard case .found(let job) = outcome else {
                // Nothing to stream: answer like a poll (404, 500).
                self.respond(outcome, request: request, context: context)
                return
            }
            self.streamStarted = true
            self.lastStreamedVersion = request.lastEventID
            let head = HTTPResponseComposer.composeEventStreamHead(
                requestID: request.meta.requestID,
                date: self.loop.dates.now(),
                chunked: !request.isHTTP10,
                allocator: context.channel.allocator
            )
            context.write(self.wrapOutboundOut(head), promise: nil)
            if request.isHead {
                self.endStream(context: context)
                return
            }
            self.streamJob(job, request: request, context: context)
            return
        }
        switch outcome {
        case .found(let job):
            self.streamJob(job, request: request, context: context)
        case .notFound, .contractViolation:
            let error: APIError = outcome.isNotFound ? .jobNotFound : .internalError
            self.loop.bodyScratch.clear()
            EnvelopeWriter.writeError(
                code: error.status.code,
                type: error.type,
                message: error.message,
                meta: request.meta,
                into: &self.loop.bodyScratch
            )
            var event = context.channel.allocator.buffer(capacity: self.loop.bodyScratch.readableBytes + 32)
            EventStreamFraming.event(id: nil, name: "gone", data: self.loop.bodyScratch, into: &event)
            self.writeStreamPayload(event, context: context)
            self.endStream(context: context)
        case .notModified:
            self.park(for: .stream)
        }
    }

    private func streamJob(_ job: JobReadResult, request: Request, context: ChannelHandlerContext) {
        let version = job.tag?.versionNumber
        if version == nil || self.lastStreamedVersion == nil || version! > self.lastStreamedVersion! {
            self.writeEnvelope(job, request: request)
            var event = context.channel.allocator.buffer(capacity: self.loop.bodyScratch.readableBytes + 64)
            EventStreamFraming.event(id: version, name: nil, data: self.loop.bodyScratch, into: &event)
            self.writeStreamPayload(event, context: context)
            self.lastStreamedVersion = version
        } else {
            // Nothing new, but the response head may still be waiting to go out.
            context.flush()
        }
        if job.status.isTerminal || self.quiescing {
            self.endStream(context: context)
        } else if self.changedDuringRead {
            self.readRecord(for: .stream)
        } else {
            self.park(for: .stream)
        }
    }

    private func writeStreamPayload(_ payload: ByteBuffer, context: ChannelHandlerContext) {
        let chunked = !(self.request?.isHTTP10 ?? false)
        let framed = EventStreamFraming.frame(payload, chunked: chunked, allocator: context.channel.allocator)
        context.writeAndFlush(self.wrapOutboundOut(framed), promise: nil)
    }

    /// Ends the stream; the connection then serves the next request (or closes, for HTTP/1.0).
    private func endStream(context: ChannelHandlerContext) {
        guard let request = self.request else { return }
        self.stopWatching()
        self.streamStarted = false
        self.lastStreamedVersion = nil
        var last: ByteBuffer?
        if !request.isHTTP10 && !request.isHead {
            last = context.channel.allocator.buffer(capacity: 8)
            last!.writeStaticString(EventStreamFraming.lastChunk)
        }
        self.requestAnswered(status: 200)
        self.finish(closing: request.isHTTP10 || self.quiescing || request.connection == .close, last: last, context: context)
    }
}

extension JobReadOutcome {
    fileprivate var isNotFound: Bool {
        if case .notFound = self { return true }
        return false
    }
}
