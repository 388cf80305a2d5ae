/// What both waits do alike: ask at the start and after a sleep, pause after a failure, and read
/// the answers that carry no job — "not now" (429; 503, or a proxy's 502 and 504) and "unchanged"
/// (304). The poller drives either through this.
protocol WaitMachine: Sendable {
    var patience: WaitPatience { get set }
    /// The request to send now (or the end, when the deadline passed).
    func ask(at now: ContinuousClock.Instant) -> WaitAction
    /// `.fail(.timedOut)` with the last states once the deadline passed, else nil.
    func timedOut(at now: ContinuousClock.Instant) -> WaitAction?
    mutating func answered(_ answer: WaitAnswer, at now: ContinuousClock.Instant) -> WaitAction
}

extension WaitMachine {
    func start(at now: ContinuousClock.Instant) -> WaitAction {
        self.ask(at: now)
    }

    func slept(at now: ContinuousClock.Instant) -> WaitAction {
        self.ask(at: now)
    }

    mutating func unreachable(_ why: String, at now: ContinuousClock.Instant) -> WaitAction {
        self.timedOut(at: now) ?? self.patience.unreachable(why, at: now)
    }

    /// The action for an answer that carries no job, or nil for one that may (the failures in a
    /// row end at any answer but an outage).
    mutating func notNow(_ answer: WaitAnswer, at now: ContinuousClock.Instant) -> WaitAction? {
        if case .unavailable(let status, let retryAfter) = answer {
            return self.timedOut(at: now)
                ?? self.patience.failed(pause: WaitPatience.retryAfter(retryAfter), why: "the service answered \(status)", at: now)
        }
        self.patience.answered()
        switch answer {
        case .throttled(let retryAfter):
            return self.timedOut(at: now) ?? self.patience.sleep(WaitPatience.retryAfter(retryAfter), at: now)
        case .notModified(let held, let retryAfter):
            return self.again(held: held, retryAfter: retryAfter, at: now)
        default:
            return nil
        }
    }

    /// Unchanged: ask again at once after a held request, else after the service's `Retry-After`.
    func again(held: Bool, retryAfter: Int?, at now: ContinuousClock.Instant) -> WaitAction {
        if held { return self.ask(at: now) }
        return self.timedOut(at: now) ?? self.patience.sleep(WaitPatience.retryAfter(retryAfter), at: now)
    }
}
