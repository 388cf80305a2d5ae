/// Waiting for one job to finish, as a value: answers in, actions out, no I/O (the rules are
/// `clients/python/jobstatus_client/waiting.py`'s, and docs/clients.md's).
///
/// Ask for a held request (`Prefer: wait`) and send the last `ETag` back; when the service did not
/// hold it, and on 429 and 503, sleep `Retry-After`; the 303 and the 404 are final.
struct JobWait: WaitMachine {
    let id: String
    var patience: WaitPatience
    private var tag: String?
    private var last: JobResult?

    init(id: String, timeout: Duration?, maxWait: Int, maxRetries: Int, now: ContinuousClock.Instant) {
        self.id = id
        self.patience = WaitPatience(timeout: timeout, maxWait: maxWait, maxRetries: maxRetries, now: now)
    }

    mutating func answered(_ answer: WaitAnswer, at now: ContinuousClock.Instant) -> WaitAction {
        if let action = self.notNow(answer, at: now) { return action }
        switch answer {
        case .notFound:
            return .finish(JobResult(id: self.id, state: .notFound))
        case .job(let result, let held, let retryAfter):
            self.tag = result.etag ?? self.tag
            self.last = result
            return result.isFinished ? .finish(result) : self.again(held: held, retryAfter: retryAfter, at: now)
        case .refused(let status, let type, let message):
            return .fail(.refused(status: status, type: type, message: message))
        case .list, .notModified, .throttled, .unavailable:
            return .fail(.mismatched("a job list answered a single poll"))
        }
    }

    func ask(at now: ContinuousClock.Instant) -> WaitAction {
        self.timedOut(at: now) ?? .ask(wait: self.patience.wait(at: now), ifNoneMatch: self.tag, ids: [])
    }

    func timedOut(at now: ContinuousClock.Instant) -> WaitAction? {
        self.patience.expired(at: now) ? .fail(.timedOut(last: self.last.map { [$0] } ?? [])) : nil
    }
}
