import JobStatusCore
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// The channel side of one HTTP connection: feeds what happens into the connection's
/// `ConnectionStateMachine` and carries out the actions it returns.
///
/// The handler decides nothing about the protocol. What it does itself is what needs the channel
/// or the server: planning a request from its head (`+Planning`: routing, authorization, limits),
/// rendering answers (`+Answers`), and talking to the loop's `JobStore` through one session, whose
/// delegate it is. A poll in flight costs no allocation beyond the response buffer: the store
/// hands the outcome over in place and the envelope is written from it directly.
final class JobRequestHandler: ChannelDuplexHandler, JobStoreDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Action = ConnectionStateMachine.Action

    let server: ServerContext
    let loop: LoopResources
    var machine: ConnectionStateMachine
    var context: ChannelHandlerContext?
    private var session: (any JobStoreSession)?
    /// Where request bytes enter, before the decoder (`makeGate`).
    private var gate: RequestBytesGate?
    /// The machine's timer: a long poll's deadline or a stream's heartbeat.
    private var timer: Scheduled<Void>?
    /// The coarse check of the connection's clocks.
    private var tick: Scheduled<Void>?
    /// Whether `run` is pumping the machine. An event that arrives meanwhile (a store that answers
    /// at once) carries out its own action and leaves the pumping to the loop already running, so
    /// a long pipeline answered synchronously cannot grow the stack.
    private var pumping = false
    /// The last `Authorization` value of this connection and what it was found to be, so a
    /// keep-alive client's token is hashed once rather than per request.
    var cachedAuthorization: (header: String, decision: AuthorizationDecision, validUntil: Double)?
    var cachedRemoteAddress: String?

    init(server: ServerContext, loop: LoopResources) {
        self.server = server
        self.loop = loop
        self.machine = ConnectionStateMachine(limits: server.connectionLimits, now: .now())
    }

    /// The gate to put before the decoder in this connection's pipeline.
    func makeGate() -> RequestBytesGate {
        let gate = RequestBytesGate(connection: self)
        self.gate = gate
        return gate
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.machine = ConnectionStateMachine(limits: self.server.connectionLimits, now: context.eventLoop.now)
        self.session = self.loop.store.makeSession(delegate: self)
        RequestMetrics.connections.increment()
        if context.channel.isActive {
            self.scheduleTick(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.perform(self.machine.channelInactive(), record: nil, context: context)
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
        self.run(self.machine.channelInactive())
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.run(self.machine.received(self.unwrapInboundIn(data), now: context.eventLoop.now))
    }

    func read(context: ChannelHandlerContext) {
        if self.machine.readRequested(), !(self.gate?.deferRead() ?? false) {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.run(self.machine.writabilityChanged(isWritable: context.channel.isWritable))
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .dataReceivedInErrorState = error as? ByteToMessageDecoderError {
            // Bytes after a parse error: the refusal is already on its way, and its lingering
            // close drops them. Closing here would reset that answer away.
            return
        }
        guard let parserError = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        let refusal: APIError = parserError == .headerOverflow ? .headersTooLarge : .malformedRequest
        self.run(self.machine.parserError(refusal, now: context.eventLoop.now))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.run(self.machine.quiesce(now: context.eventLoop.now))
    }

    /// From `RequestBytesGate`: `count` bytes go to the decoder now.
    func willDecode(_ count: Int) {
        self.machine.decoding(count) { self.context?.eventLoop.now ?? .now() }
    }

    /// From `RequestBytesGate`: the decoder took them (and answered any request they completed).
    /// Nothing to do, no clock read, unless a head outgrew its bound.
    func didDecode() {
        let action = self.machine.decoded { self.context?.eventLoop.now ?? .now() }
        if case .none = action { return }
        self.run(action)
    }

    /// From `RequestBytesGate`: `count` bytes came from the socket; what to do with them.
    func inputArrived(_ count: Int) -> ConnectionStateMachine.InputVerdict {
        let verdict = self.machine.inputArrived(count) { self.context?.eventLoop.now ?? .now() }
        if verdict == .close {
            self.run(self.machine.closeNow(abort: false))
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
                metadata: ["key": "\(self.server.configuration.keyPrefix)\(request.context.jobID)", "reason": "\(reason)"]
            )
        }
        let action = self.machine.recordRead(ConnectionStateMachine.RecordSummary(outcome), now: context.eventLoop.now)
        // Carried out now, while the outcome (borrowed from the reply) is valid.
        self.run(action, record: outcome)
    }

    func recordUnavailable(_ failure: JobStoreFailure) {
        guard let context = self.context else { return }
        if case .refused(let message) = failure, let request = self.machine.currentRequest {
            self.log(request).error("the job store refused the read", metadata: ["redis_error": "\(message)"])
        }
        self.run(self.machine.recordUnavailable(now: context.eventLoop.now))
    }

    func listItemRead(at index: Int, _ outcome: JobReadOutcome) {
        guard let request = self.machine.currentRequest, let list = request.context.list else { return }
        if case .contractViolation(let reason) = outcome {
            self.log(request).error(
                "job record breaks the record contract",
                metadata: ["key": "\(self.server.configuration.keyPrefix)\(list.storeIDs[index])", "reason": "\(reason)"]
            )
        }
        list.record(at: index, outcome)
    }

    func listRead(failure: JobStoreFailure?) {
        guard let context = self.context, let request = self.machine.currentRequest, let list = request.context.list else { return }
        if case .refused(let message) = failure {
            self.log(request).error("the job store refused the read", metadata: ["redis_error": "\(message)"])
        }
        guard failure == nil, let summary = list.finish(ifNoneMatch: request.context.ifNoneMatch) else {
            self.run(self.machine.recordUnavailable(now: context.eventLoop.now))
            return
        }
        self.run(self.machine.recordRead(summary, now: context.eventLoop.now))
    }

    func probed(_ health: StoreHealth) {
        guard let context = self.context else { return }
        self.run(self.machine.probed(health, now: context.eventLoop.now))
    }

    func watchEvent(_ event: JobWatchEvent, generation: UInt64) {
        guard let context = self.context else { return }
        self.run(self.machine.watchEvent(event, generation: generation, now: context.eventLoop.now))
    }

    // MARK: - Carrying out actions

    /// Carries out `action`, then (unless an outer call already does) whatever the machine has to
    /// do next about queued input, until it has nothing.
    private func run(_ action: Action, record: JobReadOutcome? = nil) {
        guard let context = self.context else { return }
        self.perform(action, record: record, context: context)
        guard !self.pumping else { return }
        self.pumping = true
        // One reading of the clock for the whole pump: everything it starts starts now.
        let now = context.eventLoop.now
        while true {
            let next = self.machine.pump(now: now)
            if case .none = next { break }
            self.perform(next, record: nil, context: context)
        }
        self.pumping = false
        if let gate = self.gate, gate.isHolding, self.machine.acceptsInput {
            // Bytes the gate held while the connection was behind: their turn now.
            gate.release()
        }
    }

    /// - Parameter record: the outcome just read, for the actions that answer from it.
    private func perform(_ action: Action, record: JobReadOutcome?, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .plan(let head):
            self.machine.planned(self.plan(head, now: context.eventLoop.now))
        case .read(let request):
            let context = request.context
            if let list = context.list {
                // The list's If-None-Match names the whole list: checked once every record is in.
                list.begin()
                self.session?.readList(ids: list.storeIDs, caller: context.clientID)
            } else {
                // An event stream sends whole states; If-None-Match is for polls.
                self.session?.read(id: context.jobID, caller: context.clientID, ifNoneMatch: request.isStream ? nil : context.ifNoneMatch)
            }
        case .probe:
            self.session?.probe()
        case .watch(let request, let generation, let timer):
            self.schedule(timer, context: context)
            self.session?.watch(ids: request.context.list?.storeIDs ?? [request.context.jobID], generation: generation)
        case .scheduleTimer(let timer):
            self.schedule(timer, context: context)
        case .stream(let request, let parts, let next):
            self.writeStream(parts, request: request, record: record, context: context)
            context.flush()
            switch next {
            case .read:
                self.perform(.read(request), record: nil, context: context)
            case .park(let timer):
                self.schedule(timer, context: context)
            case .watch(let generation, let timer):
                self.perform(.watch(request, generation: generation, timer: timer), record: nil, context: context)
            }
        case .finish(let request, let answer, let ending):
            self.release(request)
            self.answer(request, answer, ending: ending, record: record, context: context)
        case .refuse(let error):
            self.refuse(error, context: context)
        case .abandon(let request):
            self.release(request)
        case .resumeReading:
            context.read()
        case .close(let abort, let abandoning):
            if let abandoning {
                self.release(abandoning)
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
                self.run(self.machine.closeNow(abort: false))
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
        if let client = request.context.waiterKey {
            self.server.limits.stopWaiting(client)
            RequestMetrics.waiters.decrement()
        }
    }

    /// Writes an answer; when the connection closes after it, the machine learns once it is out.
    func write(_ response: ByteBuffer?, ending: ConnectionStateMachine.Ending, context: ChannelHandlerContext) {
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
                self.run(self.machine.closeWritten(succeeded: succeeded, now: context.eventLoop.now))
            }
            context.writeAndFlush(self.wrapOutboundOut(response ?? context.channel.allocator.buffer(capacity: 0)), promise: written)
        }
    }

    // MARK: - Timers

    private func schedule(_ timer: ConnectionStateMachine.Timer, context: ChannelHandlerContext) {
        self.timer?.cancel()
        let generation = timer.generation
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: timer.deadline) {
            self.timer = nil
            guard let context = self.context else { return }
            self.run(self.machine.timerFired(generation: generation, now: context.eventLoop.now))
        }
    }

    private func scheduleTick(context: ChannelHandlerContext) {
        guard self.tick == nil else { return }
        self.tick = context.eventLoop.assumeIsolated().scheduleTask(in: self.server.tickInterval) {
            self.tick = nil
            guard let context = self.context, context.channel.isActive else { return }
            guard self.machine.needsOutputSample else {
                self.run(self.machine.tick(now: context.eventLoop.now, output: nil))
                self.scheduleTick(context: context)
                return
            }
            OutputProbe.sample(context.channel).assumeIsolated().whenSuccess { sample in
                guard let context = self.context else { return }
                self.run(self.machine.tick(now: context.eventLoop.now, output: sample))
                self.scheduleTick(context: context)
            }
        }
    }
}

