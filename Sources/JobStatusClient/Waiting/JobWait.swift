/// Waiting for one job to finish, as a value: events in, actions out, no I/O (the rules are
/// `clients/python/jobstatus_client/waiting.py`'s, and docs/clients.md's).
///
/// Ask for a held request (`Prefer: wait`) and send the last `ETag` back; when the service did not
/// hold it, and on 429 and 503, sleep `Retry-After`; the 303 and the 404 are final.
struct JobWait: Sendable {
    let id: String
    private var patience: WaitPatience
    private var tag: String?
    private var last: JobResult?

    init(id: String, timeout: Duration?, maxWait: Int, maxRetries: Int, now: ContinuousClock.Instant) {
        self.id = id
        self.patience = WaitPatience(timeout: timeout, maxWait: maxWait, maxRetries: maxRetries, now: now)
    }

    func start(at now: ContinuousClock.Instant) -> WaitAction {
        self.ask(at: now)
    }

    func slept(at now: ContinuousClock.Instant) -> WaitAction {
        self.ask(at: now)
    }

    mutating func unreachable(_ why: String, at now: ContinuousClock.Instant) -> WaitAction {
        self.timedOut(at: now) ?? self.patience.unreachable(why, at: now)
    }

    mutating func answered(_ answer: WaitAnswer, at now: ContinuousClock.Instant) -> WaitAction {
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
        case .notFound:
            return .finish(JobResult(id: self.id, state: .notFound))
        case .job(let result, let held, let retryAfter):
            self.tag = result.etag ?? self.tag
            self.last = result
            return result.isFinished ? .finish(result) : self.again(held: held, retryAfter: retryAfter, at: now)
        case .refused(let status, let type, let message):
            return .fail(.refused(status: status, type: type, message: message))
        case .list, .unavailable:
            return .fail(.refused(status: 200, type: nil, message: "a job list answered a single poll"))
        }
    }

    private func again(held: Bool, retryAfter: Int?, at now: ContinuousClock.Instant) -> WaitAction {
        if held { return self.ask(at: now) }
        return self.timedOut(at: now) ?? self.patience.sleep(WaitPatience.retryAfter(retryAfter), at: now)
    }

    private func ask(at now: ContinuousClock.Instant) -> WaitAction {
        self.timedOut(at: now) ?? .ask(wait: self.patience.wait(at: now), ifNoneMatch: self.tag, ids: [])
    }

    private func timedOut(at now: ContinuousClock.Instant) -> WaitAction? {
        self.patience.expired(at: now) ? .fail(.timedOut(last: self.last.map { [$0] } ?? [])) : nil
    }
}
