/// Waiting for every job of a list (at most `polling.max_batch` ids) to finish, handing each out
/// as it does (`takeFinished`).
///
/// The first request is not held, so jobs already finished (or unknown) come back at once. Then
/// one held request for the ids still pending, which the service answers at the first write to
/// any of them. Each answer drops the finished ids and the list asked next is the rest; while none
/// finished, the same list is asked again with the answer's `ETag` as `If-None-Match` (an
/// unchanged list at the end of a hold is then a bodiless 304).
struct JobListWait: WaitMachine {
    private let listed: [String]
    private(set) var remaining: [String]
    var patience: WaitPatience
    private var last: [String: JobResult] = [:]
    private var unheldOnPurpose = true
    private var tag: String?
    private var finished: [JobResult] = []

    init(ids: [String], timeout: Duration?, maxWait: Int, maxRetries: Int, now: ContinuousClock.Instant) {
        self.listed = Self.distinct(ids)
        self.remaining = self.listed
        self.patience = WaitPatience(timeout: timeout, maxWait: maxWait, maxRetries: maxRetries, now: now)
    }

    /// `ids` without repeats, in order: a list answers each id once.
    static func distinct(_ ids: [String]) -> [String] {
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }

    /// The jobs that finished since the last call, in the order the service listed them.
    mutating func takeFinished() -> [JobResult] {
        defer { self.finished = [] }
        return self.finished
    }

    mutating func answered(_ answer: WaitAnswer, at now: ContinuousClock.Instant) -> WaitAction {
        if let action = self.notNow(answer, at: now) { return action }
        switch answer {
        case .list(let results, let tag, let held, let retryAfter):
            // The service answers each id as listed: anything else would be asked again forever.
            guard results.map(\.id) == self.remaining else {
                return .fail(.mismatched("the list answered ids \(results.map(\.id)) for \(self.remaining)"))
            }
            let firstAnswer = self.unheldOnPurpose
            self.unheldOnPurpose = false
            var done = Set<String>()
            for result in results {
                self.last[result.id] = result
                if result.isFinished {
                    done.insert(result.id)
                    self.finished.append(result)
                }
            }
            self.remaining.removeAll { done.contains($0) }
            // A tag names the state of the list it came with: another list needs none.
            self.tag = done.isEmpty ? tag : nil
            if self.remaining.isEmpty { return .finish(nil) }
            if !done.isEmpty || firstAnswer { return self.ask(at: now) }
            return self.again(held: held, retryAfter: retryAfter, at: now)
        case .refused(let status, let type, let message):
            return .fail(.refused(status: status, type: type, message: message))
        case .job, .notFound, .notModified, .throttled, .unavailable:
            return .fail(.mismatched("a single job answered a job list"))
        }
    }

    func ask(at now: ContinuousClock.Instant) -> WaitAction {
        let wait = self.unheldOnPurpose ? 0 : self.patience.wait(at: now)
        return self.timedOut(at: now) ?? .ask(wait: wait, ifNoneMatch: self.tag, ids: self.remaining)
    }

    func timedOut(at now: ContinuousClock.Instant) -> WaitAction? {
        guard self.patience.expired(at: now) else { return nil }
        return .fail(.timedOut(last: self.listed.compactMap { self.last[$0] }))
    }
}
