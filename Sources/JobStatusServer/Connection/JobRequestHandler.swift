import JobStatusCore
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The channel side of one HTTP connection: feeds what happens into the connection's
/// `ConnectionStateMachine` and carries out the actions it returns.
///
/// The handler decides nothing: the machine decides the protocol, `RequestPlanner` what a head
/// asks for, `AnswerRenderer` the bytes of an answer. What it does itself is what needs the
/// channel: reading and writing, timers, talking to the loop's `JobStore` through one session
/// (whose delegate it is), the metrics and the log. A poll in flight costs no allocation beyond
/// the response buffer: the store hands the outcome over in place, the machine passes it on in
/// its answer, and the envelope is written from it directly.
final class JobRequestHandler: ChannelDuplexHandler, JobStoreDelegate {
    /// Nothing arrives through the pipeline: the gate before it hands the parsed parts over
    /// directly (`received`).
    typealias InboundIn = Never
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Action = ConnectionMachine.Action

    let server: ServerContext
    let loop: LoopResources
    private var machine: ConnectionMachine
    private var planner: RequestPlanner
    private let renderer: AnswerRenderer
    private var context: ChannelHandlerContext?
    private var session: (any JobStoreSession)?
    /// Where request bytes enter and are parsed (`makeGate`).
    private var gate: RequestBytesGate?
    /// The machine's timer: a long poll's deadline or a stream's heartbeat.
    private var timer: Scheduled<Void>?
    /// The coarse check of the connection's clocks.
    private var tick: Scheduled<Void>?
    /// The spans of the request in progress, while tracing is on.
    private var trace: RequestTrace?
    /// Whether `run` is pumping the machine. An event that arrives meanwhile (a store that answers
    /// at once) carries out its own action and leaves the pumping to the loop already running, so
    /// a long pipeline answered synchronously cannot grow the stack.
    private var pumping = false

    init(server: ServerContext, loop: LoopResources) {
        self.server = server
        self.loop = loop
        self.machine = ConnectionMachine(limits: server.connectionLimits, now: .now())
        self.planner = RequestPlanner(server: server, requestIDs: loop.requestIDs)
        // The channels' allocator is NIO's default one (the bootstrap sets no other).
        self.renderer = AnswerRenderer(server: server, loop: loop, allocator: ByteBufferAllocator())
    }

    /// The gate to put before this handler in the connection's pipeline.
    func makeGate() -> RequestBytesGate {
        let gate = RequestBytesGate(connection: self, maxHeadSize: self.server.configuration.http.maxHeaderSize)
        self.gate = gate
        return gate
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.machine = ConnectionMachine(limits: self.server.connectionLimits, now: context.eventLoop.now)
        self.session = self.loop.store.makeSession(delegate: self)
        RequestMetrics.connections.increment()
        if context.channel.isActive {
            self.scheduleTick(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.perform(self.machine.channelInactive(), context: context, now: context.eventLoop.now)
        self.session?.close()
        self.session = nil
        self.timer?.cancel()
        self.timer = nil
        self.tick?.cancel()
        self.tick = nil
        self.context = nil
        self.gate = nil
        RequestMetrics.connections.decrement()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.scheduleTick(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.run(self.machine.channelInactive(), now: context.eventLoop.now)
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if self.machine.readRequested(), !(self.gate?.deferRead() ?? false) {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.run(self.machine.writabilityChanged(isWritable: context.channel.isWritable), now: context.eventLoop.now)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let now = context.eventLoop.now
        self.run(self.machine.quiesce(now: now), now: now)
    }

    /// The loop's clock, read by `RequestBytesGate` once per slice it parses (a socket read, or
    /// 4 KiB of held bytes) for everything the slice brings (the header clock, each head and end).
    var now: NIODeadline { self.context?.eventLoop.now ?? .now() }

    /// From `RequestBytesGate`: a part of a request, or the parser's refusal of the bytes.
    func received(_ event: HTTPRequestParser.Event, now: NIODeadline) {
        guard self.context != nil else { return }
        self.run(self.machine.received(event, now: now), now: now)
    }

    /// From `RequestBytesGate`: bytes go to the parser now.
    func willParse(now: NIODeadline) {
        self.machine.parsing(now: now)
    }

    /// From `RequestBytesGate`: `count` bytes came from the socket; what to do with them.
    func inputArrived(_ count: Int) -> InputVerdict {
        let verdict = self.machine.inputArrived(count) { self.now }
        if verdict == .close {
            self.run(self.machine.closeNow(abort: false), now: self.now)
        }
        return verdict
    }

    /// Whether the connection takes more request bytes now (asked by `RequestBytesGate`).
    var acceptsInput: Bool { self.machine.acceptsInput }

    // MARK: - The store's answers

    func recordRead(_ outcome: JobReadOutcome) {
        guard let context = self.context else { return }
        if case .contractViolation(let reason) = outcome, let request = self.machine.currentRequest {
            self.log(request).error(
                "job record breaks the record contract",
                metadata: ["key": "\(self.server.configuration.jobs.keyPrefix)\(request.facts.jobID)", "reason": "\(reason)"]
            )
        }
        self.trace?.endRead()
        // Carried out now, while the outcome (borrowed from the reply) is valid.
        let now = context.eventLoop.now
        self.run(self.machine.recordRead(RecordSummary(outcome), read: .job(outcome), now: now), now: now)
    }

    func recordUnavailable(_ failure: JobStoreFailure) {
        guard let context = self.context else { return }
        if case .refused(let message) = failure, let request = self.machine.currentRequest {
            self.log(request).error("the job store refused the read", metadata: ["redis_error": "\(message)"])
        }
        self.trace?.endRead(failed: true)
        let now = context.eventLoop.now
        self.run(self.machine.recordUnavailable(now: now), now: now)
    }

    func listItemRead(at index: Int, _ outcome: JobReadOutcome) {
        guard let request = self.machine.currentRequest, let list = request.facts.list else { return }
        if case .contractViolation(let reason) = outcome {
            self.log(request).error(
                "job record breaks the record contract",
                metadata: ["key": "\(self.server.configuration.jobs.keyPrefix)\(list.storeIDs[index])", "reason": "\(reason)"]
            )
        }
        list.record(at: index, outcome)
    }

    func listRead(failure: JobStoreFailure?) {
        guard let context = self.context, let request = self.machine.currentRequest, let list = request.facts.list else { return }
        if case .refused(let message) = failure {
            self.log(request).error("the job store refused the read", metadata: ["redis_error": "\(message)"])
        }
        self.trace?.endRead(failed: failure != nil)
        let now = context.eventLoop.now
        guard failure == nil, let summary = list.finish(ifNoneMatch: request.facts.ifNoneMatch) else {
            self.run(self.machine.recordUnavailable(now: now), now: now)
            return
        }
        self.run(self.machine.recordRead(summary, read: .list(list), now: now), now: now)
    }

    func probed(_ health: StoreHealth) {
        guard let context = self.context else { return }
        let now = context.eventLoop.now
        self.run(self.machine.probed(health, now: now), now: now)
    }

    func watchEvent(_ event: JobWatchEvent, generation: UInt64) {
        guard let context = self.context else { return }
        let now = context.eventLoop.now
        self.run(self.machine.watchEvent(event, generation: generation, now: now), now: now)
    }

    // MARK: - Carrying out actions

    /// Carries out `action`, then (unless an outer call already does) whatever the machine has to
    /// do next about queued input, until it has nothing.
    ///
    /// `now` is when the event that returned `action` happened, as the caller read it: the clock
    /// is read once per event, and everything the event starts or answers (a request planned from
    /// the pipeline, an answer's duration) is timed from that reading.
    private func run(_ action: Action, now: NIODeadline) {
        guard let context = self.context else { return }
        self.perform(action, context: context, now: now)
        guard !self.pumping else { return }
        self.pumping = true
        while true {
            let next = self.machine.pump(now: now)
            if case .none = next { break }
            self.perform(next, context: context, now: now)
        }
        self.pumping = false
        if let gate = self.gate, gate.isHolding, self.machine.acceptsInput {
            // Bytes the gate held while the connection was behind: their turn now.
            gate.release()
        }
    }

    private func perform(_ action: Action, context: ChannelHandlerContext, now: NIODeadline) {
        switch action {
        case .none:
            break
        case .plan(let head):
            let request = self.planner.plan(head, now: now) { context.channel.remoteAddress }
            self.trace = self.server.tracer.map { RequestTrace($0, request: request.facts) }
            self.machine.planned(request)
        case .awaitKeys:
            // Completed on this loop when the fetch ends (or at once when none may start).
            let fetched = context.eventLoop.makePromise(of: Void.self)
            fetched.futureResult.assumeIsolated().whenComplete { _ in self.run(self.machine.keysArrived(), now: context.eventLoop.now) }
            if self.server.keySource?.awaitKeys(fetched) != true {
                fetched.succeed()
            }
        case .replan(let request, let head):
            let replanned = self.planner.replan(request, head: head) { context.channel.remoteAddress }
            self.perform(self.machine.replanned(replanned, now: now), context: context, now: now)
        case .read(let request):
            self.trace?.startRead(jobs: request.facts.list?.ids.count)
            if let list = request.facts.list {
                // The list's If-None-Match names the whole list: checked once every record is in.
                list.begin()
                self.session?.readList(ids: list.storeIDs, caller: request.facts.clientID, held: request.isHeld)
            } else {
                // An event stream sends whole states; If-None-Match is for polls.
                let ifNoneMatch = request.isStream ? nil : request.facts.ifNoneMatch
                self.session?.read(id: request.facts.jobID, caller: request.facts.clientID, ifNoneMatch: ifNoneMatch)
            }
        case .probe:
            self.session?.probe()
        case .watch(let request, let generation, let timer):
            self.trace?.startWait()
            self.schedule(timer, context: context)
            self.session?.watch(ids: request.facts.list?.storeIDs ?? [request.facts.jobID], generation: generation)
        case .scheduleTimer(let timer):
            self.schedule(timer, context: context)
        case .stream(let request, let parts, let next):
            self.write(self.renderer.render(parts, for: request), context: context)
            context.flush()
            switch next {
            case .read:
                self.perform(.read(request), context: context, now: now)
            case .park(let timer):
                self.schedule(timer, context: context)
            case .watch(let generation, let timer):
                self.perform(.watch(request, generation: generation, timer: timer), context: context, now: now)
            }
        case .finish(let request, let answer, let ending):
            self.release(request)
            self.answer(request, self.renderer.render(answer, for: request, ending: ending), ending: ending, context: context, now: now)
        case .refuse(let error):
            let (request, refusal) = self.planner.unparsed(error, now: now)
            self.answer(request, self.renderer.render(.immediate(refusal), for: request, ending: .close), ending: .close, context: context, now: now)
        case .abandon(let request):
            self.release(request)
            self.abandonTrace()
        case .resumeReading:
            context.read()
        case .close(let abort, let abandoning):
            if let abandoning {
                self.release(abandoning)
                self.abandonTrace()
            }
            if abort {
                // Discard what the peer never took instead of leaving it to the kernel.
                _ = (context.channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
            }
            context.close(promise: nil)
        case .linger:
            self.gate?.dropHeld()
            let halfClosed = context.eventLoop.makePromise(of: Void.self)
            halfClosed.futureResult.assumeIsolated().whenFailure { _ in
                // No half-close on this channel: close as before.
                self.run(self.machine.closeNow(abort: false), now: context.eventLoop.now)
            }
            context.close(mode: .output, promise: halfClosed)
            context.read()
        }
    }

    /// Whatever a request holds beyond the connection: its watch, its timer, its waiter slot.
    private func release(_ request: PlannedRequest) {
        self.session?.endWatch()
        self.timer?.cancel()
        self.timer = nil
        if let client = request.facts.waiterKey {
            self.server.limits.stopWaiting(client)
            RequestMetrics.waiters.decrement()
        }
    }

    /// The request will never be answered: its spans end, marked so.
    private func abandonTrace() {
        self.trace?.abandon()
        self.trace = nil
    }

    /// Writes (without flushing) an event stream's parts.
    private func write(_ output: AnswerRenderer.StreamOutput, context: ChannelHandlerContext) {
        if let head = output.head {
            context.write(self.wrapOutboundOut(head), promise: nil)
        }
        if let event = output.event {
            context.write(self.wrapOutboundOut(event), promise: nil)
        }
    }

    /// Writes a rendered answer and records it; when the connection closes after it, the machine
    /// learns once it is out.
    private func answer(_ request: PlannedRequest, _ output: AnswerRenderer.Output, ending: AnswerEnding, context: ChannelHandlerContext, now: NIODeadline) {
        self.write(output.stream, context: context)
        self.requestAnswered(request, status: output.status, now: now)
        self.write(output.last, ending: ending, context: context)
    }

    private func write(_ response: ByteBuffer?, ending: AnswerEnding, context: ChannelHandlerContext) {
        switch ending {
        case .keepAlive:
            if let response {
                context.writeAndFlush(self.wrapOutboundOut(response), promise: nil)
            } else {
                context.flush()
            }
        case .close:
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.assumeIsolated().whenComplete { result in
                guard let context = self.context else { return }
                let succeeded = (try? result.get()) != nil
                let now = context.eventLoop.now
                self.run(self.machine.closeWritten(succeeded: succeeded, now: now), now: now)
            }
            context.writeAndFlush(self.wrapOutboundOut(response ?? context.channel.allocator.buffer(capacity: 0)), promise: written)
        }
    }

    // MARK: - Timers

    private func schedule(_ timer: ConnectionTimer, context: ChannelHandlerContext) {
        self.timer?.cancel()
        let generation = timer.generation
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: timer.deadline) {
            self.timer = nil
            guard let context = self.context else { return }
            let now = context.eventLoop.now
            self.run(self.machine.timerFired(generation: generation, now: now), now: now)
        }
    }

    private func scheduleTick(context: ChannelHandlerContext) {
        guard self.tick == nil else { return }
        self.tick = context.eventLoop.assumeIsolated().scheduleTask(in: self.server.tickInterval) {
            self.tick = nil
            guard let context = self.context, context.channel.isActive else { return }
            guard self.machine.needsOutputSample else {
                let now = context.eventLoop.now
                self.run(self.machine.tick(now: now, output: nil), now: now)
                self.scheduleTick(context: context)
                return
            }
            OutputProbe.sample(context.channel).assumeIsolated().whenSuccess { sample in
                guard let context = self.context else { return }
                let now = context.eventLoop.now
                self.run(self.machine.tick(now: now, output: sample), now: now)
                self.scheduleTick(context: context)
            }
        }
    }

    // MARK: - The record of requests

    /// Records the answered request in the metrics and, when `log.access` is on, the access log:
    /// who asked what, the answer, how long it took.
    private func requestAnswered(_ request: PlannedRequest, status: Int, now: NIODeadline) {
        let elapsed = now - request.facts.startedAt
        self.loop.metrics.record(route: request.facts.route, status: status, nanoseconds: elapsed.nanoseconds)
        defer {
            // After the access log line, which carries the span's trace id.
            self.trace?.finish(request.facts, status: status)
            self.trace = nil
        }
        guard self.server.configuration.log.access else { return }
        let facts = request.facts
        self.log(request).info(
            "request",
            metadata: [
                "method": "\(facts.method)", "path": "\(facts.meta.path)", "status": "\(status)",
                "duration_ms": "\(Double(elapsed.nanoseconds / 1000) / 1000)",
                "client_id": "\(facts.clientID ?? "-")",
            ]
        )
    }

    private func log(_ request: PlannedRequest) -> Logger {
        var logger = self.server.logger
        logger[metadataKey: "request_id"] = "\(request.facts.meta.requestID)"
        if let traceID = self.trace?.traceID {
            logger[metadataKey: "trace_id"] = "\(traceID)"
        } else if let trace = request.facts.trace {
            logger[metadataKey: "trace_id"] = "\(trace.traceID)"
        }
        return logger
    }
}
