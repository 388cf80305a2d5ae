import NIOCore

/// The life of one self-healing Redis connection, as a value: `RedisConnection` reports what
/// happens (an attempt ended, the channel closed, the reconnect timer fired, the sentinels named
/// another master, shutdown) and carries out the action returned.
///
/// `Link` is what a ready connection holds (the channel and its handler; a plain value in the
/// tests). Attempts are numbered, so the end of an attempt overtaken by another (or by shutdown)
/// is told apart from the current one.
struct RedisConnectionStateMachine<Link> {
    enum State {
        case idle
        /// `previousCause`: why the attempt before this one failed, if one did; an attempt can
        /// take up to the command timeout, and what went wrong last is still the news.
        case connecting(attempt: UInt64, previousCause: String?)
        /// `url`: where the link is connected (with Sentinel, the master of the moment).
        case ready(Link, attempt: UInt64, url: RedisURL)
        /// `cause`: why the last attempt failed or the connection was lost.
        case waitingToReconnect(cause: String)
        case shutDown
    }

    enum Action {
        case none
        /// Start attempt `attempt`: ask the sentinels, read the files, open, log in; then report
        /// `attemptSucceeded` or `attemptFailed` with its number. `cancelTimer`: the reconnect
        /// timer is armed and is overtaken.
        case connect(attempt: UInt64, cancelTimer: Bool)
        /// Attempt `attempt` succeeded and `link` is ready (watch it close); `afterFailures`
        /// attempts had failed before it (0: connected at the first try).
        case ready(Link, attempt: UInt64, url: RedisURL, afterFailures: Int)
        /// Attempt number `failures` in a row failed: log it (loudly when `loud`: the first, then
        /// sparsely), and arm the reconnect timer.
        case failed(cause: String, failures: Int, loud: Bool, retryIn: TimeAmount)
        /// The ready connection to `url` was lost: say so, and arm the reconnect timer.
        case lost(url: RedisURL, retryIn: TimeAmount)
        /// Close this link, for `reason`.
        case close(Link, CloseReason)
    }

    enum CloseReason: Equatable {
        /// The sentinels named another master than the server at `from`.
        case primaryMoved(from: RedisURL, to: RedisNode)
        /// The server at `url` answered `READONLY`: it is a replica now.
        case demoted(RedisURL)
        /// The attempt that made the link was overtaken (by shutdown).
        case overtaken
    }

    private(set) var state: State = .idle
    /// Failed attempts since the connection was last ready: the backoff's exponent, and which of
    /// the configured addresses the next attempt tries.
    private(set) var failures = 0
    private var attempts: UInt64 = 0
    private let backoff: (Int) -> TimeAmount

    /// - Parameter backoff: the delay before attempt number `n` in a row (the first immediate).
    init(backoff: @escaping (Int) -> TimeAmount) {
        self.backoff = backoff
    }

    var isReady: Bool {
        if case .ready = self.state { return true }
        return false
    }

    mutating func start() -> Action {
        guard case .idle = self.state else { return .none }
        return self.connect(previousCause: nil, cancelTimer: false)
    }

    /// Whether attempt `attempt` is still the one under way (not overtaken, not shut down).
    func isConnecting(_ attempt: UInt64) -> Bool {
        if case .connecting(attempt, _) = self.state { return true }
        return false
    }

    mutating func attemptSucceeded(_ attempt: UInt64, link: Link, url: RedisURL) -> Action {
        guard case .connecting(attempt, _) = self.state else { return .close(link, .overtaken) }
        let failures = self.failures
        self.failures = 0
        self.state = .ready(link, attempt: attempt, url: url)
        return .ready(link, attempt: attempt, url: url, afterFailures: failures)
    }

    mutating func attemptFailed(_ attempt: UInt64, cause: String) -> Action {
        guard case .connecting(attempt, _) = self.state else { return .none }
        self.failures += 1
        self.state = .waitingToReconnect(cause: cause)
        return .failed(cause: cause, failures: self.failures, loud: self.failures.nonzeroBitCount == 1, retryIn: self.backoff(self.failures + 1))
    }

    /// The link of attempt `attempt` closed.
    mutating func linkClosed(_ attempt: UInt64) -> Action {
        guard case .ready(_, attempt, let url) = self.state else { return .none }
        self.state = .waitingToReconnect(cause: "the connection was lost")
        return .lost(url: url, retryIn: self.backoff(self.failures + 1))
    }

    mutating func reconnectTimerFired() -> Action {
        guard case .waitingToReconnect(let cause) = self.state else { return .none }
        return self.connect(previousCause: cause, cancelTimer: false)
    }

    /// The sentinels named `primary` as the master: a link to another server closes (the next
    /// attempt asks the sentinels again), and a connection waiting to reconnect does so now.
    mutating func primaryAnnounced(_ primary: RedisNode) -> Action {
        switch self.state {
        case .ready(let link, _, let url) where RedisNode(host: url.host, port: url.port) != primary:
            return .close(link, .primaryMoved(from: url, to: primary))
        case .waitingToReconnect(let cause):
            return self.connect(previousCause: cause, cancelTimer: true)
        case .idle, .connecting, .ready, .shutDown:
            return .none
        }
    }

    /// The server of the ready link `attempt` answered `READONLY`: it was demoted under it.
    mutating func demoted(_ attempt: UInt64) -> Action {
        guard case .ready(let link, attempt, let url) = self.state else { return .none }
        return .close(link, .demoted(url))
    }

    /// Nothing more happens: what to close (the ready link) and whether a timer is armed.
    mutating func shutdown() -> (close: Link?, cancelTimer: Bool) {
        let previous = self.state
        self.state = .shutDown
        switch previous {
        case .ready(let link, _, _): return (link, false)
        case .waitingToReconnect: return (nil, true)
        case .idle, .connecting, .shutDown: return (nil, false)
        }
    }

    private mutating func connect(previousCause: String?, cancelTimer: Bool) -> Action {
        self.attempts += 1
        self.state = .connecting(attempt: self.attempts, previousCause: previousCause)
        return .connect(attempt: self.attempts, cancelTimer: cancelTimer)
    }
}
