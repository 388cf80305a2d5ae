import JobStatusCore
import NIOCore

/// The protocol of one HTTP connection, as a value.
///
/// `JobRequestHandler` feeds it what happens — request parts, store replies, watch events, timers,
/// writability, shutdown — and carries out the `Action` each event returns; nothing else decides
/// anything. Requests are answered strictly in order: parts of pipelined requests that arrive
/// while one is being answered wait in `queue`, and while the channel cannot take more output
/// no queued request is started and the socket is not read, so a client that does not read
/// costs one response and the write buffer, not everything it asked for.
///
/// The states, the list a newcomer reads first:
/// - `opened`: a new connection that has sent nothing yet; closed after `http.header_timeout`, so a
///   socket that only holds a slot is let go as soon as a slow request head would be.
/// - `idle`: no request in progress; closed after `http.idle_timeout`.
/// - `receivingHead`: bytes of a request arrived, its head is not complete; closed after
///   `http.header_timeout`. (The parser refuses a head over `http.max_header_size`.)
/// - `receiving`: the head is planned, the rest of the request (its body, ignored) is awaited; same clock.
/// - `awaitingKeys`: the request's JWT names a key not yet known; a fetch of `auth.jwt.jwks_url` is
///   awaited (bounded by `auth.jwt.jwks_timeout`), then the request is planned again.
/// - `probing`: `/health/ready` asked the store whether it answers.
/// - `reading`: a poll's record read is in flight.
/// - `waiting`: a long poll or event stream: subscribing, reading or parked (see `Waiter`).
/// - `closing`: the last answer is being written; closed when it is, or after `http.write_timeout`.
/// - `lingering`: the last answer is written and the write side shut down; what the peer still
///   sends is read and dropped until it closes, stops sending for `lingerTimeout`, or has lingered
///   `lingerTime` or sent `lingerBytes`. Closing with unread input makes the kernel send a reset,
///   which destroys the answer before the peer reads it (a 431 to a client still sending its
///   oversized head).
/// - `closed`: nothing more happens.
///
/// Output that waits for the peer for `http.write_timeout` without the peer taking any of it
/// closes the connection, whatever the state (see `tick`).
struct ConnectionStateMachine<Read> {
    typealias Limits = ConnectionLimits
    typealias Timer = ConnectionTimer
    typealias Ending = AnswerEnding

    enum State {
        case opened(since: NIODeadline)
        case idle(since: NIODeadline)
        case receivingHead(since: NIODeadline)
        case receiving(PlannedRequest, since: NIODeadline)
        case awaitingKeys(PlannedRequest, RequestHead)
        case probing(PlannedRequest)
        case reading(PlannedRequest)
        case waiting(PlannedRequest, Waiter)
        case closing(since: NIODeadline)
        case lingering(since: NIODeadline, lastInput: NIODeadline, dropped: Int)
        case closed
    }

    /// A long poll or an event stream in progress.
    struct Waiter {
        enum Kind {
            /// Answered at `deadline` at the latest.
            case longPoll(deadline: NIODeadline)
            case stream(StreamProgress)
        }

        enum Phase {
            /// Waiting for the watch of this generation to be ready (or to fail).
            case subscribing(UInt64)
            /// The record read is in flight; `changed`: the job changed meanwhile, so the reply
            /// may predate the change.
            case reading(changed: Bool)
            /// The read after the watch resumed is in flight: writes made while it was interrupted
            /// were reported to nobody. The reply answers only if it differs from what the waiter
            /// parked on; `again`: the watch resumed once more while it was in flight, so the reply
            /// may predate that gap too and the job is read once more first.
            case rechecking(again: Bool)
            /// A long poll's last read is in flight: its reply is the answer, whatever it says.
            /// (The job changed, the wait is over, the watch broke, or the server is draining.)
            case answering
            /// Waiting for a change or the timer.
            case parked
        }

        var kind: Kind
        var phase: Phase
        /// The generation of the watch in place; nil when there is none (it failed or broke), in
        /// which case a long poll answers after its read and a stream re-subscribes at its next
        /// heartbeat.
        var watch: UInt64?
        /// The generation of the armed timer: the long poll's deadline or the stream's heartbeat.
        var timer: UInt64
        /// The version of the read a long poll parked on, for a re-check after its watch resumed.
        var parkedOn: Int64?

        var isLongPoll: Bool {
            if case .longPoll = self.kind { return true }
            return false
        }

        /// The phase of a read that follows a wake-up: a long poll answers from it, a stream
        /// carries on.
        var readAfterWakeUp: Phase {
            self.isLongPoll ? .answering : .reading(changed: false)
        }

        /// The phase of a read that follows a change of a watched job. A held job list watches
        /// jobs its caller may not see (other clients' ids, ids not created yet): its read is
        /// compared with the one it parked on, and only a change the caller can see answers
        /// (`JobListRead.finish`), so a list cannot tell a stranger when someone else's job is
        /// written. A long poll of one job watches only a job of its caller's, and answers.
        func readAfterChange(of request: PlannedRequest) -> Phase {
            self.isLongPoll && request.facts.list != nil ? .reading(changed: false) : self.readAfterWakeUp
        }
    }

    enum StreamProgress {
        /// The response head has not been sent: `Last-Event-ID` is what the client has.
        case opening(lastEventID: Int64?)
        /// The head went out; the version of the last event sent (or the client's).
        case open(lastVersion: Int64?)
    }

    /// What the parser hands over: a request's head, its end (after its body, if any), or the
    /// refusal of bytes that are not HTTP/1.1.
    typealias Inbound = HTTPRequestParser.Event

    /// How a request is answered. Each answer carries what it is rendered from: the work a head
    /// alone answers, or the read (`Read`) the store just handed over.
    enum Answer {
        case immediate(PlannedRequest.Immediate)
        /// The record (or list) just read, as a poll answers it: the envelope, 304, 404 or 500.
        case record(Read)
        /// 503: the store did not answer.
        case unavailable
        case health(StoreHealth)
        /// The last parts of an event stream, then its end.
        case streamEnd(StreamParts)
    }

    /// What an event stream writes at once.
    struct StreamParts {
        enum Event {
            /// The job's envelope, from the record just read.
            case job(Read)
            /// The job is gone (expired, or its record broke): a `gone` event, from that read.
            case gone(Read)
            /// A comment that keeps proxies from closing an idle stream.
            case heartbeat
        }

        /// The response head, first.
        var head = false
        var event: Event?

        var isEmpty: Bool { !self.head && self.event == nil }
    }

    /// What an event stream does after writing.
    enum StreamNext: Equatable {
        case read
        case park(Timer)
        /// Watch again (the last watch failed or broke), then read.
        case watch(generation: UInt64, timer: Timer)
    }

    enum Action {
        case none
        /// Plan the request from its head and report the plan with `planned`.
        case plan(RequestHead)
        /// Wait for the JWT keys to be fetched again, then report it with `keysArrived`.
        case awaitKeys
        /// Plan the head again now that the keys were fetched, and report the plan with `replanned`.
        case replan(PlannedRequest, RequestHead)
        /// Read the request's job record.
        case read(PlannedRequest)
        /// Probe the store (`/health/ready`).
        case probe
        /// Start watching the request's job and arm the timer.
        case watch(PlannedRequest, generation: UInt64, timer: Timer)
        case scheduleTimer(Timer)
        /// Write to an event stream, then carry on.
        case stream(PlannedRequest, StreamParts, then: StreamNext)
        /// The request is answered: release what it holds, write the answer, and close after it
        /// if `ending` says so.
        case finish(PlannedRequest, Answer, Ending)
        /// Answer a request that could not be parsed (400, 431) and close after it.
        case refuse(APIError)
        /// The request will never be answered (the connection is going away): release what it holds.
        case abandon(PlannedRequest)
        /// Read from the socket again: NIO asked while reading was paused.
        case resumeReading
        /// Close the connection now, releasing the request in progress if there is one; `abort`
        /// discards unsent output (SO_LINGER 0) instead of leaving it to the kernel.
        case close(abort: Bool, abandoning: PlannedRequest?)
        /// The last answer is out: shut the write side down (the peer reads it to its end) and
        /// keep reading, dropping what arrives (`lingering`).
        case linger
    }

    // The stored properties are internal only so that the extensions in other files can change
    // them; nothing outside the machine's own methods does.
    let limits: Limits
    var state: State
    var queue = CircularBuffer<Inbound>(initialCapacity: 4)
    /// The channel's writability, as NIO last reported it: while it is false no queued request is
    /// started and the socket is not read.
    var isWritable = true
    var output: Output
    /// NIO asked to read while reading was paused: read as soon as it may.
    var readDeferred = false
    /// When the last answer or stream part was written (the start of the write clock).
    var lastWrite: NIODeadline
    var generations: UInt64 = 0

    init(limits: Limits, now: NIODeadline) {
        self.limits = limits
        self.state = .opened(since: now)
        self.lastWrite = now
        self.output = .drained(checkedAt: now)
    }

    /// The request in progress, if any.
    var currentRequest: PlannedRequest? {
        switch self.state {
        case .receiving(let request, _), .awaitingKeys(let request, _), .probing(let request), .reading(let request),
            .waiting(let request, _):
            request
        case .opened, .idle, .receivingHead, .closing, .lingering, .closed:
            nil
        }
    }

    var queuedCount: Int { self.queue.count }

    // MARK: - Input

    /// What the parser found. With nothing queued before it, a head is planned and an end
    /// executes at once; otherwise it waits its turn in the queue (`pump`). A refusal is
    /// `refused(_:now:)`.
    mutating func received(_ inbound: Inbound, now: NIODeadline) -> Action {
        if case .refused(let refusal) = inbound {
            return self.refused(refusal, now: now)
        }
        guard self.queue.isEmpty, case .taken(let action) = self.take(inbound, now: now) else {
            if !self.isEnding { self.queue.append(inbound) }
            return .none
        }
        return action
    }

    /// Bytes go to the parser: a request has begun, so the header clock starts, if none is
    /// running. How many bytes a head may take is the parser's bound (`http.max_header_size`, a 431).
    mutating func parsing(now: NIODeadline) {
        switch self.state {
        case .opened, .idle:
            self.state = .receivingHead(since: now)
        case .receivingHead, .receiving, .awaitingKeys, .probing, .reading, .waiting, .closing, .lingering, .closed:
            break
        }
    }

    /// `count` bytes arrived from the socket (one call per read, which is why it also says
    /// whether they may be parsed now). While lingering they are dropped, and past
    /// `lingerBytes` the connection closes (`closeNow`).
    mutating func inputArrived(_ count: Int, now: () -> NIODeadline) -> InputVerdict {
        guard case .lingering(let since, _, let dropped) = self.state else {
            return self.acceptsInput ? .parse : .hold
        }
        guard dropped + count <= self.limits.lingerBytes else { return .close }
        self.state = .lingering(since: since, lastInput: now(), dropped: dropped + count)
        return .drop
    }

    /// NIO wants to read from the socket: true to let it, false to hold the read until
    /// `resumeReading`.
    mutating func readRequested() -> Bool {
        if self.acceptsInput { return true }
        if case .lingering = self.state { return true }
        self.readDeferred = true
        return false
    }

    /// Whether more request bytes may be read and parsed now: the peer takes its answers, the
    /// queue has room, the connection is not ending, and the parser has not refused (what follows
    /// a refusal is never parsed: it waits in the gate, and the lingering close drops it).
    var acceptsInput: Bool {
        !self.isEnding && self.isWritable && self.queue.count < self.limits.maxQueuedParts && !self.isRefusing
    }

    /// Whether the parser refused the bytes and the refusal waits its turn in the queue.
    private var isRefusing: Bool {
        if case .refused = self.queue.last { return true }
        return false
    }

    /// The parser found bytes that are not HTTP/1.1: whatever follows the last complete request is
    /// dropped, and once the requests before it are answered the connection is refused and closed.
    private mutating func refused(_ refusal: HTTPRequestRefusal, now: NIODeadline) -> Action {
        while let last = self.queue.last, !last.isEnd {
            self.queue.removeLast()
        }
        self.queue.append(.refused(refusal))
        if case .receiving(let request, _) = self.state {
            // The request being received can never complete.
            self.state = .idle(since: now)
            return .abandon(request)
        }
        return .none
    }

    // MARK: - Dispatch

    /// The next thing to do about queued input: plan the next request, execute a request that is
    /// complete, refuse a malformed one, or resume reading. Called after every event until it
    /// answers `.none`.
    mutating func pump(now: NIODeadline) -> Action {
        while let first = self.queue.first, case .taken(let action) = self.take(first, now: now) {
            if !self.queue.isEmpty { self.queue.removeFirst() }
            if case .none = action { continue }
            return action
        }
        return self.resumeReadingIfDeferred()
    }

    private enum Step {
        /// The input was used (or dropped); the action is what it calls for.
        case taken(Action)
        /// The input must wait: a request is in progress, or the peer does not take answers.
        case waits
    }

    /// What the next input means in the current state.
    private mutating func take(_ input: Inbound, now: NIODeadline) -> Step {
        switch (self.state, input) {
        case (.opened, .head(let head)), (.idle, .head(let head)), (.receivingHead, .head(let head)):
            guard self.isWritable else { return .waits }
            // The header clock runs from the request's first byte; bytes that were buffered while
            // the previous request was answered start it now.
            switch self.state {
            case .opened, .idle: self.state = .receivingHead(since: now)
            case .receivingHead, .receiving, .awaitingKeys, .probing, .reading, .waiting, .closing, .lingering, .closed: break
            }
            return .taken(.plan(head))
        case (.opened, .end), (.idle, .end), (.receivingHead, .end):
            // What is left of a request that was refused or abandoned.
            return .taken(.none)
        case (.opened, .refused(let refusal)), (.idle, .refused(let refusal)), (.receivingHead, .refused(let refusal)):
            self.queue.removeAll()
            return .taken(self.refuse(refusal.apiError, now: now))
        case (.receiving(let request, _), .end):
            return .taken(self.execute(request, now: now))
        case (.receiving, .head), (.receiving, .refused):
            // The parser ends every request before the next begins, and a refusal resets
            // `receiving`: neither can happen.
            return .taken(.none)
        case (.awaitingKeys, _), (.probing, _), (.reading, _), (.waiting, _), (.closing, _), (.lingering, _), (.closed, _):
            return .waits
        }
    }

    /// Whether the connection is closing or closed: input no longer matters.
    private var isEnding: Bool {
        switch self.state {
        case .closing, .lingering, .closed: true
        case .opened, .idle, .receivingHead, .receiving, .awaitingKeys, .probing, .reading, .waiting: false
        }
    }

    private mutating func resumeReadingIfDeferred() -> Action {
        guard self.readDeferred, self.acceptsInput else { return .none }
        self.readDeferred = false
        return .resumeReading
    }

    /// The handler planned the head that `.plan` handed it.
    mutating func planned(_ request: PlannedRequest) {
        guard case .receivingHead(let since) = self.state else { return }
        self.state = .receiving(request, since: since)
    }

    /// The whole request arrived: start answering it.
    private mutating func execute(_ request: PlannedRequest, now: NIODeadline) -> Action {
        switch request.work {
        case .immediate(let immediate):
            return self.finish(request, .immediate(immediate), now: now)
        case .awaitKeys(let head):
            self.state = .awaitingKeys(request, head)
            return .awaitKeys
        case .probe:
            self.state = .probing(request)
            return .probe
        case .poll(wait: nil):
            self.state = .reading(request)
            return .read(request)
        case .poll(wait: .some) where request.draining:
            // Shutting down: nothing is held.
            self.state = .reading(request)
            return .read(request)
        case .poll(wait: let wait?):
            let deadline = now + wait
            return self.startWaiting(request, kind: .longPoll(deadline: deadline), timer: deadline)
        case .stream(let lastEventID):
            return self.startWaiting(request, kind: .stream(.opening(lastEventID: lastEventID)), timer: now + self.limits.heartbeat)
        }
    }

    /// The fetch of the JWT keys that the request waited for ended (whatever it brought).
    mutating func keysArrived() -> Action {
        guard case .awaitingKeys(let request, let head) = self.state else { return .none }
        return .replan(request, head)
    }

    /// The head planned again after the keys arrived: answered like any request, now.
    mutating func replanned(_ request: PlannedRequest, now: NIODeadline) -> Action {
        guard case .awaitingKeys(let waited, _) = self.state else { return .none }
        var request = request
        if waited.draining { request.drain() }
        return self.execute(request, now: now)
    }

    /// Subscribe first, then read, so a change between the two is never missed.
    private mutating func startWaiting(_ request: PlannedRequest, kind: Waiter.Kind, timer deadline: NIODeadline) -> Action {
        let watch = self.nextGeneration()
        let timer = Timer(deadline: deadline, generation: self.nextGeneration())
        self.state = .waiting(request, Waiter(kind: kind, phase: .subscribing(watch), watch: nil, timer: timer.generation))
        return .watch(request, generation: watch, timer: timer)
    }

    mutating func nextGeneration() -> UInt64 {
        self.generations += 1
        return self.generations
    }

    /// The request is answered: the connection waits for the next one, or closes after this
    /// answer is written.
    mutating func finish(_ request: PlannedRequest, _ answer: Answer, now: NIODeadline) -> Action {
        self.lastWrite = now
        // An event stream to an HTTP/1.0 client ends by closing (it cannot be chunked).
        let closes: Bool
        if case .streamEnd = answer {
            closes = request.closesConnection || request.isHTTP10
        } else {
            closes = request.closesConnection
        }
        if closes {
            self.queue.removeAll()
            self.state = .closing(since: now)
            return .finish(request, answer, .close)
        }
        self.state = .idle(since: now)
        return .finish(request, answer, .keepAlive)
    }

    private mutating func refuse(_ error: APIError, now: NIODeadline) -> Action {
        self.lastWrite = now
        self.state = .closing(since: now)
        return .refuse(error)
    }

    // MARK: - The connection's end

    /// The server is shutting down (SIGTERM): an idle connection closes now; the request in
    /// progress is answered without being held — a parked or subscribing long poll reads and
    /// answers at once, a stream ends after its next read — and the connection closes after it.
    mutating func quiesce(now: NIODeadline) -> Action {
        switch self.state {
        case .opened, .idle, .receivingHead:
            self.state = .closed
            return .close(abort: false, abandoning: nil)
        case .lingering:
            // Its answer is out; closing now could still reset it away. It ends within its bounds.
            break
        case .receiving(var request, let since):
            request.drain()
            self.state = .receiving(request, since: since)
        case .awaitingKeys(var request, let head):
            request.drain()
            self.state = .awaitingKeys(request, head)
        case .probing(var request):
            request.drain()
            self.state = .probing(request)
        case .reading(var request):
            request.drain()
            self.state = .reading(request)
        case .waiting(var request, var waiter):
            request.drain()
            switch waiter.phase {
            case .reading, .rechecking, .answering:
                self.state = .waiting(request, waiter)
            case .subscribing, .parked:
                // A watch still being set up is left to end with the request.
                waiter.phase = waiter.isLongPoll ? .answering : .reading(changed: false)
                self.state = .waiting(request, waiter)
                return .read(request)
            }
        case .closing, .closed:
            break
        }
        return .none
    }

    /// The channel closed (by either side).
    mutating func channelInactive() -> Action {
        let request = self.currentRequest
        self.state = .closed
        self.queue.removeAll()
        return request.map { .abandon($0) } ?? .none
    }

    /// The answer that ended a closing connection was written: linger (or, when the write
    /// failed, the peer is gone and the connection just closes).
    mutating func closeWritten(succeeded: Bool, now: NIODeadline) -> Action {
        guard case .closing = self.state else { return .none }
        guard succeeded else {
            self.state = .closed
            return .close(abort: false, abandoning: nil)
        }
        self.state = .lingering(since: now, lastInput: now, dropped: 0)
        self.readDeferred = false
        return .linger
    }

    /// Closes now, handing back the request in progress.
    mutating func closeNow(abort: Bool) -> Action {
        let request = self.currentRequest
        self.state = .closed
        self.queue.removeAll()
        return .close(abort: abort, abandoning: request)
    }
}
