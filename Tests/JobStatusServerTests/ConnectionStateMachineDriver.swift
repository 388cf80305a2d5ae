import JobStatusCore
import NIOCore
import NIOHTTP1

@testable import JobStatusServer

/// Plays events into a `ConnectionStateMachine` the way `JobRequestHandler` does — every event
/// followed by `pump` until it has nothing — with a fake clock and a planner that reads the work
/// off the path, and writes down every action as one short line.
struct ConnectionStateMachineDriver {
    enum Event {
        /// A whole request: head and end.
        case request(String, version: HTTPVersion = .http1_1, method: HTTPMethod = .GET, keepAlive: Bool = true)
        case head(String)
        case end
        /// Bytes handed to the parser (no head completed).
        case bytes
        case record(RecordSummary)
        case unavailable
        case probed(Bool)
        /// The fetch of the JWT keys a request waited for ended.
        case keysArrived
        case watch(JobWatchEvent, generation: UInt64)
        case timer(UInt64)
        case writable(Bool)
        case closeWritten
        /// The last answer could not be written (the peer is gone).
        case closeFailed
        /// Bytes arrived while lingering (or not): how many.
        case dropped(Int)
        case quiesce
        case parserError
        case inactive
        /// The coarse check, with what the probe found: bytes waiting for the peer, bytes it took.
        case tick(pending: Int, delivered: UInt64 = 0)
        /// Lets time pass (nothing happens by itself: timers fire as `.timer`).
        case advance(TimeAmount)
        /// NIO asks to read.
        case readRequest
    }

    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    static let limits = ConnectionLimits(
        headerTimeout: .seconds(10),
        idleTimeout: .seconds(60),
        writeTimeout: .seconds(10),
        heartbeat: .seconds(15),
        maxQueuedParts: 8
    )

    /// The machine under test; its reads are the summaries themselves, which is all it decides from.
    var machine = ConnectionStateMachine<RecordSummary>(limits: Self.limits, now: Self.start)
    var now = Self.start
    /// One line per action, in order.
    var trace: [String] = []

    init(_ events: [Event] = []) {
        for event in events { self.apply(event) }
    }

    mutating func apply(_ event: Event) {
        switch event {
        case .request(let path, let version, let method, let keepAlive):
            let head = RequestHead(method: method, target: path, version: version, headers: keepAlive ? [] : [("Connection", "close")])
            self.run(self.machine.received(.head(head), now: self.now))
            self.run(self.machine.received(.end, now: self.now))
        case .head(let path):
            self.run(self.machine.received(.head(RequestHead(method: .GET, target: path, headers: [])), now: self.now))
        case .end:
            self.run(self.machine.received(.end, now: self.now))
        case .bytes:
            self.machine.parsing(now: self.now)
        case .record(let summary):
            self.run(self.machine.recordRead(summary, read: summary, now: self.now))
        case .unavailable:
            self.run(self.machine.recordUnavailable(now: self.now))
        case .probed(let ready):
            self.run(self.machine.probed(ready ? .ready : .unavailable(reason: "down"), now: self.now))
        case .keysArrived:
            self.run(self.machine.keysArrived())
        case .watch(let watchEvent, let generation):
            self.run(self.machine.watchEvent(watchEvent, generation: generation, now: self.now))
        case .timer(let generation):
            self.run(self.machine.timerFired(generation: generation, now: self.now))
        case .writable(let isWritable):
            self.run(self.machine.writabilityChanged(isWritable: isWritable))
        case .closeWritten:
            self.run(self.machine.closeWritten(succeeded: true, now: self.now))
        case .closeFailed:
            self.run(self.machine.closeWritten(succeeded: false, now: self.now))
        case .dropped(let count):
            let now = self.now
            switch self.machine.inputArrived(count, now: { now }) {
            case .parse, .hold: self.trace.append("input")
            case .drop: break
            case .close: self.run(self.machine.closeNow(abort: false))
            }
        case .quiesce:
            self.run(self.machine.quiesce(now: self.now))
        case .parserError:
            self.run(self.machine.received(.refused(.requestLine), now: self.now))
        case .inactive:
            self.run(self.machine.channelInactive())
        case .tick(let pending, let delivered):
            self.run(self.machine.tick(now: self.now, output: .init(pendingBytes: pending, deliveredBytes: delivered)))
        case .advance(let amount):
            self.now = self.now + amount
        case .readRequest:
            self.trace.append(self.machine.readRequested() ? "read socket" : "hold read")
        }
    }

    private mutating func run(_ action: ConnectionStateMachine<RecordSummary>.Action) {
        self.record(action)
        self.pump()
    }

    private mutating func pump() {
        while true {
            let action = self.machine.pump(now: self.now)
            if case .none = action { return }
            self.record(action)
        }
    }

    private mutating func record(_ action: ConnectionStateMachine<RecordSummary>.Action) {
        switch action {
        case .none:
            return
        case .plan(let head):
            self.trace.append("plan \(head.target)")
            self.machine.planned(Self.plan(head, now: self.now))
        case .replan(let request, let head):
            // Planned again with the keys: `/keys/poll` is now `/poll`.
            self.trace.append("replan \(request.facts.meta.path)")
            let planned = RequestHead(
                method: head.method,
                target: String(head.target.dropFirst("/keys".count)),
                version: head.version,
                headers: head.isKeepAlive ? [] : [("Connection", "close")]
            )
            self.record(self.machine.replanned(Self.plan(planned, now: self.now), now: self.now))
        default:
            self.trace.append(self.describe(action))
        }
    }

    /// The planner: `/live`, `/ready`, `/poll`, `/wait/<seconds>`, `/stream[?last=<id>]`,
    /// `/head-stream`, `/keys/<any of those>` (waits for the JWT keys, then is that path); a
    /// `Connection: close` header or HTTP/1.0 without keep-alive closes.
    static func plan(_ head: RequestHead, now: NIODeadline) -> PlannedRequest {
        let path = head.target
        let work: PlannedRequest.Work
        if path.hasPrefix("/keys/") {
            work = .awaitKeys(head)
        } else if path == "/ready" {
            work = .probe
        } else if path == "/poll" || path == "/conditional" {
            work = .poll(wait: nil)
        } else if path.hasPrefix("/wait/") || path.hasPrefix("/conditional-wait/") {
            work = .poll(wait: .seconds(Int64(path.split(separator: "/").last!)!))
        } else if path.hasPrefix("/stream") || path == "/head-stream" {
            let last = path.split(separator: "=").count == 2 ? Int64(path.split(separator: "=")[1]) : nil
            work = .stream(lastEventID: last)
        } else {
            work = .immediate(.live)
        }
        let isHTTP10 = head.version == .http1_0
        var facts = RequestFacts(meta: EnvelopeMeta(scheme: "http", host: "x", path: Substring(path), requestID: "r"), startedAt: now)
        if path.hasPrefix("/conditional") { facts.ifNoneMatch = #"W/"1.1""# }
        return PlannedRequest(
            work: work,
            isHead: path == "/head-stream",
            isHTTP10: isHTTP10,
            connection: head.isKeepAlive ? (isHTTP10 ? .keepAliveHTTP10 : .keepAlive) : .close,
            facts: RequestFacts.Box(facts)
        )
    }

    private func describe(_ action: ConnectionStateMachine<RecordSummary>.Action) -> String {
        switch action {
        case .none, .plan: return ""
        case .read(let request): return "read \(request.facts.meta.path)"
        case .probe: return "probe"
        case .awaitKeys: return "await keys"
        case .replan: return ""
        case .watch(let request, let generation, let timer):
            return "watch \(request.facts.meta.path) g\(generation), timer \(self.describe(timer))"
        case .scheduleTimer(let timer): return "timer \(self.describe(timer))"
        case .stream(_, let parts, let next):
            let then: String
            switch next {
            case .read: then = "read"
            case .park(let timer): then = "park, timer \(self.describe(timer))"
            case .watch(let generation, let timer): then = "watch g\(generation), timer \(self.describe(timer))"
            }
            return "stream \(Self.describe(parts)), then \(then)"
        case .finish(let request, let answer, let ending):
            let how: String
            switch answer {
            case .immediate: how = "immediate"
            case .record: how = "record"
            case .unavailable: how = "503"
            case .health(let health): how = health.isReady ? "ready" : "not ready"
            case .streamEnd(let parts): how = "stream end \(Self.describe(parts))"
            }
            return "finish \(request.facts.meta.path) \(how)\(ending == .close ? ", close" : "")"
        case .refuse: return "refuse, close"
        case .abandon(let request): return "abandon \(request.facts.meta.path)"
        case .resumeReading: return "resume reading"
        case .linger: return "linger"
        case .close(let abort, let request):
            return "close\(abort ? " abort" : "")\(request.map { " abandoning \($0.facts.meta.path)" } ?? "")"
        }
    }

    private func describe(_ timer: ConnectionTimer) -> String {
        "g\(timer.generation) at +\((timer.deadline - Self.start).nanoseconds / 1_000_000_000)s"
    }

    private static func describe(_ parts: ConnectionStateMachine<RecordSummary>.StreamParts) -> String {
        var words: [String] = []
        if parts.head { words.append("head") }
        switch parts.event {
        case .job: words.append("job")
        case .gone: words.append("gone")
        case .heartbeat: words.append("heartbeat")
        case nil: break
        }
        return words.isEmpty ? "nothing" : words.joined(separator: "+")
    }

    /// The state's name and, while waiting, its phase.
    var stateName: String {
        switch self.machine.state {
        case .opened: "opened"
        case .idle: "idle"
        case .receivingHead: "receiving head"
        case .receiving: "receiving"
        case .awaitingKeys: "awaitingKeys"
        case .probing: "probing"
        case .reading: "reading"
        case .waiting(_, let waiter):
            switch waiter.phase {
            case .subscribing(let generation): "waiting: subscribing g\(generation)"
            case .reading(let changed): "waiting: reading\(changed ? ", changed" : "")"
            case .rechecking(let again): "waiting: rechecking\(again ? ", again" : "")"
            case .answering: "waiting: answering"
            case .parked: "waiting: parked"
            }
        case .closing: "closing"
        case .lingering(_, _, let dropped): "lingering, \(dropped) dropped"
        case .closed: "closed"
        }
    }
}
