/// The caller's deadline, the longest hold to ask for, and how many failures in a row are borne:
/// what the single and the list waits share.
struct WaitPatience: Sendable {
    let deadline: ContinuousClock.Instant?
    let maxWait: Int
    let maxRetries: Int
    private(set) var failures = 0

    init(timeout: Duration?, maxWait: Int, maxRetries: Int, now: ContinuousClock.Instant) {
        self.deadline = timeout.map { now + $0 }
        self.maxWait = maxWait
        self.maxRetries = maxRetries
    }

    func expired(at now: ContinuousClock.Instant) -> Bool {
        self.deadline.map { now >= $0 } ?? false
    }

    /// The hold to ask for: the whole seconds left before the deadline at most. With less than a
    /// second left it is 0 — not held — and the sleep after the answer reaches the deadline.
    func wait(at now: ContinuousClock.Instant) -> Int {
        guard let deadline else { return self.maxWait }
        let remaining = now.duration(to: deadline)
        return max(0, min(self.maxWait, Int(remaining.components.seconds)))
    }

    func sleep(_ duration: Duration, at now: ContinuousClock.Instant) -> WaitAction {
        guard let deadline else { return .sleep(duration) }
        return .sleep(max(.zero, min(duration, now.duration(to: deadline))))
    }

    mutating func answered() {
        self.failures = 0
    }

    /// One more failure in a row: a pause, or the end when there were too many.
    mutating func failed(pause: Duration, why: String, at now: ContinuousClock.Instant) -> WaitAction {
        self.failures += 1
        if self.failures > self.maxRetries {
            return .fail(.unavailable("\(why) (\(self.failures) times in a row)"))
        }
        return self.sleep(pause, at: now)
    }

    /// A growing pause after a failure to connect: 0.1 s, doubled each time, at most 2 s.
    mutating func unreachable(_ why: String, at now: ContinuousClock.Instant) -> WaitAction {
        let pause = min(Duration.seconds(2), .milliseconds(100) * (1 << min(self.failures, 10)))
        return self.failed(pause: pause, why: "the service cannot be reached: \(why)", at: now)
    }

    static func retryAfter(_ seconds: Int?) -> Duration {
        .seconds(max(0, seconds ?? 1))
    }
}
