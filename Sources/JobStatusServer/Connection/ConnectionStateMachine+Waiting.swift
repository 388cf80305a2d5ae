import JobStatusCore
import NIOCore

/// Store replies, watch events and timers: plain polls, long polls and event streams.
extension ConnectionStateMachine {
    /// The record read came back: `record` says what it found, and `read` is what the answer is
    /// rendered from, passed on untouched.
    mutating func recordRead(_ record: RecordSummary, read: Read, now: NIODeadline) -> Action {
        switch self.state {
        case .reading(let request):
            return self.finish(request, .record(read), now: now)
        case .waiting(let request, var waiter):
            let changed: Bool
            var rechecking = false
            switch waiter.phase {
            case .reading(let changedMeanwhile): changed = changedMeanwhile
            case .rechecking(again: true):
                // The reply may predate the last interruption: read once more.
                waiter.phase = .rechecking(again: false)
                self.state = .waiting(request, waiter)
                return .read(request)
            case .rechecking(again: false):
                changed = false
                rechecking = true
            case .answering: return self.finish(request, .record(read), now: now)
            case .subscribing, .parked: return .none
            }
            switch waiter.kind {
            case .longPoll(let deadline):
                // A re-check compares with what the poll parked on (nothing, if it never parked).
                let sameAsParked = !rechecking || waiter.parkedOn == nil || record.version == waiter.parkedOn
                guard record.hasNothingNew(conditional: request.isConditional), sameAsParked, waiter.watch != nil, now < deadline,
                    !request.draining
                else {
                    return self.finish(request, .record(read), now: now)
                }
                if changed {
                    // The reply may predate the change: read again.
                    waiter.phase = waiter.readAfterChange(of: request)
                    self.state = .waiting(request, waiter)
                    return .read(request)
                }
                waiter.phase = .parked
                waiter.parkedOn = record.version
                self.state = .waiting(request, waiter)
                return .none
            case .stream(let progress):
                return self.streamRead(record, read: read, request: request, waiter: waiter, progress: progress, changed: changed, now: now)
            }
        case .opened, .idle, .receivingHead, .receiving, .awaitingKeys, .probing, .closing, .lingering, .closed:
            return .none
        }
    }

    /// The record read got no answer.
    mutating func recordUnavailable(now: NIODeadline) -> Action {
        switch self.state {
        case .reading(let request):
            return self.finish(request, .unavailable, now: now)
        case .waiting(let request, var waiter):
            switch waiter.phase {
            case .reading, .answering: break
            case .rechecking:
                // The watch is back and the job may well be unchanged: keep waiting (a change
                // wakes the waiter, the deadline or heartbeat reads again).
                if case .longPoll = waiter.kind {
                    waiter.phase = .parked
                    self.state = .waiting(request, waiter)
                    return .none
                }
            case .subscribing, .parked: return .none
            }
            if case .stream(.open) = waiter.kind {
                guard !request.draining else { return self.finish(request, .streamEnd(StreamParts()), now: now) }
                // The stream carries on; the next heartbeat reads again.
                return self.park(request, waiter: &waiter, now: now).action
            }
            return self.finish(request, .unavailable, now: now)
        case .opened, .idle, .receivingHead, .receiving, .awaitingKeys, .probing, .closing, .lingering, .closed:
            return .none
        }
    }

    /// The answer to `.probe`.
    mutating func probed(_ health: StoreHealth, now: NIODeadline) -> Action {
        guard case .probing(let request) = self.state else { return .none }
        return self.finish(request, .health(health), now: now)
    }

    /// An event of the watch started with `generation`; events of other watches are stale.
    mutating func watchEvent(_ event: JobWatchEvent, generation: UInt64, now: NIODeadline) -> Action {
        guard case .waiting(let request, var waiter) = self.state else { return .none }
        switch (event, waiter.phase) {
        case (.ready, .subscribing(generation)):
            waiter.watch = generation
            waiter.phase = .reading(changed: false)
        case (.unavailable, .subscribing(generation)), (.lost, .subscribing(generation)):
            // No watch, no waiting: a long poll answers from this read; a stream relies on its
            // heartbeat reads until it can watch again.
            waiter.phase = waiter.readAfterWakeUp
        case (.changed, .reading), (.lost, .reading), (.changed, .rechecking), (.lost, .rechecking):
            guard waiter.watch == generation else { return .none }
            if event == .lost { waiter.watch = nil }
            waiter.phase = .reading(changed: true)
            self.state = .waiting(request, waiter)
            return .none
        case (.resumed, .reading(changed: false)), (.resumed, .rechecking):
            guard waiter.watch == generation else { return .none }
            waiter.phase = .rechecking(again: true)
            self.state = .waiting(request, waiter)
            return .none
        case (.resumed, .parked):
            guard waiter.watch == generation else { return .none }
            waiter.phase = .rechecking(again: false)
        case (.changed, .parked):
            guard waiter.watch == generation else { return .none }
            waiter.phase = waiter.readAfterChange(of: request)
        case (.lost, .parked):
            guard waiter.watch == generation else { return .none }
            waiter.watch = nil
            // A stream reads with `changed`, so that it watches again at once after the read
            // (`streamRead`) rather than at its next heartbeat: the subscriber is back.
            waiter.phase = waiter.isLongPoll ? .answering : .reading(changed: true)
        case (.ready, _), (.unavailable, _), (.lost, .subscribing), (.changed, .subscribing), (.resumed, .subscribing),
            (.resumed, .reading(changed: true)), (_, .answering):
            // Resumed while a change is being read: that read answers anyway.
            return .none
        }
        self.state = .waiting(request, waiter)
        return .read(request)
    }

    /// The timer armed with `generation` fired: a long poll's deadline, a stream's heartbeat.
    mutating func timerFired(generation: UInt64, now: NIODeadline) -> Action {
        guard case .waiting(let request, var waiter) = self.state, waiter.timer == generation else { return .none }
        switch (waiter.kind, waiter.phase) {
        case (_, .reading), (_, .rechecking), (_, .answering):
            // The reply settles it: a long poll past its deadline answers, a stream parks again.
            return .none
        case (_, .subscribing):
            // The watch did not settle in time: read without it (it ends with the request).
            waiter.phase = waiter.readAfterWakeUp
            self.state = .waiting(request, waiter)
            return .read(request)
        case (.longPoll, .parked):
            // The wait is over: answer as a plain poll would.
            waiter.phase = .answering
            self.state = .waiting(request, waiter)
            return .read(request)
        case (.stream, .parked):
            guard self.isWritable else { return self.closeNow(abort: true) }
            guard waiter.watch == nil else {
                self.lastWrite = now
                waiter.phase = .reading(changed: false)
                self.state = .waiting(request, waiter)
                return .stream(request, StreamParts(event: .heartbeat), then: .read)
            }
            // The last watch failed or broke: watch again, then read; a heartbeat goes out only
            // when one is due.
            let (watch, timer) = self.watchAgain(request, waiter: &waiter, now: now)
            guard now - self.lastWrite >= self.limits.heartbeat else {
                return .watch(request, generation: watch, timer: timer)
            }
            self.lastWrite = now
            return .stream(request, StreamParts(event: .heartbeat), then: .watch(generation: watch, timer: timer))
        }
    }

    // MARK: - Event streams

    /// What a stream read found: the response head on the first read, then one event per new
    /// version; the stream ends after a terminal state, when the job is gone, or when draining.
    private mutating func streamRead(
        _ record: RecordSummary,
        read: Read,
        request: PlannedRequest,
        waiter: Waiter,
        progress: StreamProgress,
        changed: Bool,
        now: NIODeadline
    ) -> Action {
        var waiter = waiter
        var parts = StreamParts()
        var terminal = false
        switch (progress, record) {
        case (.opening, .missing), (.opening, .broken):
            // Nothing to stream: answer as a poll does (404, 500).
            return self.finish(request, .record(read), now: now)
        case (.opening(let lastEventID), .job(let pending, let version)):
            parts.head = true
            if request.isHead {
                return self.finish(request, .streamEnd(parts), now: now)
            }
            let isNew = Self.isNewer(version, than: lastEventID)
            parts.event = isNew ? .job(read) : nil
            waiter.kind = .stream(.open(lastVersion: isNew ? version : lastEventID))
            terminal = !pending
        case (.opening(let lastEventID), .unchanged(let pending)):
            parts.head = true
            if request.isHead {
                return self.finish(request, .streamEnd(parts), now: now)
            }
            waiter.kind = .stream(.open(lastVersion: lastEventID))
            terminal = !pending
        case (.open, .missing), (.open, .broken):
            return self.finish(request, .streamEnd(StreamParts(event: .gone(read))), now: now)
        case (.open(let lastVersion), .job(let pending, let version)):
            if Self.isNewer(version, than: lastVersion) {
                parts.event = .job(read)
                waiter.kind = .stream(.open(lastVersion: version))
            }
            terminal = !pending
        case (.open, .unchanged(let pending)):
            terminal = !pending
        }
        if terminal || request.draining {
            return self.finish(request, .streamEnd(parts), now: now)
        }
        if !parts.isEmpty {
            // A client that lets a stream's output pile up past the write buffer is not reading.
            guard self.isWritable else { return self.closeNow(abort: true) }
            self.lastWrite = now
        }
        if changed {
            guard waiter.watch != nil else {
                // The watch broke and the subscriber is back: watch again now, so the next change
                // is streamed when it happens rather than at the next heartbeat.
                let (watch, timer) = self.watchAgain(request, waiter: &waiter, now: now)
                return .stream(request, parts, then: .watch(generation: watch, timer: timer))
            }
            waiter.phase = .reading(changed: false)
            self.state = .waiting(request, waiter)
            return .stream(request, parts, then: .read)
        }
        let (_, timer) = self.park(request, waiter: &waiter, now: now)
        return .stream(request, parts, then: .park(timer))
    }

    /// A stream whose watch failed or broke subscribes again (a new generation, the heartbeat
    /// re-armed); the read follows once the watch settles.
    private mutating func watchAgain(_ request: PlannedRequest, waiter: inout Waiter, now: NIODeadline) -> (watch: UInt64, timer: Timer) {
        let watch = self.nextGeneration()
        let timer = Timer(deadline: now + self.limits.heartbeat, generation: self.nextGeneration())
        waiter.phase = .subscribing(watch)
        waiter.timer = timer.generation
        self.state = .waiting(request, waiter)
        return (watch, timer)
    }

    /// Parks a stream until its next heartbeat, or, while it has no watch (the subscriber was
    /// down), until it tries to watch again (`watchRetry`).
    private mutating func park(_ request: PlannedRequest, waiter: inout Waiter, now: NIODeadline) -> (action: Action, timer: Timer) {
        let wait = waiter.watch == nil ? min(self.limits.watchRetry, self.limits.heartbeat) : self.limits.heartbeat
        let timer = Timer(deadline: now + wait, generation: self.nextGeneration())
        waiter.phase = .parked
        waiter.timer = timer.generation
        self.state = .waiting(request, waiter)
        return (.scheduleTimer(timer), timer)
    }

    /// Whether an event with `version` is news to a client that has `last`. Records without a
    /// numeric version are always news.
    private static func isNewer(_ version: Int64?, than last: Int64?) -> Bool {
        guard let version, let last else { return true }
        return version > last
    }
}
