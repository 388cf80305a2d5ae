import JobStatusConfiguration

/// When the key set at `auth.jwt.jwks_url` is fetched, as a value: the instants in, what to do out.
///
/// A fetch starts at start-up, when the set's `Cache-Control` max-age (within
/// `jwks_cache_min`…`jwks_cache_max`) is over, `jwks_min_refresh` after a failed fetch, and when a
/// token names a `kid` the set lacks. That last one is what a stranger controls, so it starts a
/// fetch at most once per `jwks_min_refresh`: a token with a new key waits for the fetch in flight
/// or starts one, and every other unknown `kid` in between is refused at once. Only the
/// `JWKSSource` loop carries out fetches, one at a time.
struct JWKSRefreshMachine {
    enum State: Equatable {
        /// No fetch in flight; the next one is due at `due`.
        case idle(due: ContinuousClock.Instant)
        /// A fetch is asked for or in flight (since `lastStart`).
        case fetching
        /// The service stopped (shutdown): nothing is fetched any more, tokens are decided with
        /// the keys there are.
        case stopped
    }

    /// What a request whose token names a key the set lacks does.
    enum UnknownKeyAction: Equatable {
        /// Waits for the fetch in flight, then is decided again.
        case wait
        /// Starts a fetch (the loop is woken) and waits for it.
        case fetch
        /// Is decided now, with the keys in use: a fetch ran less than `jwks_min_refresh` ago.
        case refuse
    }

    /// Why the keys in use may be out of date: the fetches since the last good one failed.
    struct Failure: Equatable {
        var reason: String
        var since: ContinuousClock.Instant
        var attempts: Int
    }

    let cacheMin: Duration
    let cacheMax: Duration
    let minRefresh: Duration
    private(set) var state: State
    /// When the last fetch began, whatever its reason: the clock `jwks_min_refresh` runs from.
    private(set) var lastStart: ContinuousClock.Instant
    /// When the set in use was fetched; nil until a fetch succeeds (the front is not ready before).
    private(set) var loadedAt: ContinuousClock.Instant?
    /// Set while fetches fail; the keys in use (if any) are kept meanwhile.
    private(set) var failure: Failure?

    /// A machine whose first fetch is asked for at `now` (start-up).
    init(settings: JWTSettings, now: ContinuousClock.Instant) {
        self.cacheMin = settings.jwksCacheMin
        self.cacheMax = settings.jwksCacheMax
        self.minRefresh = settings.jwksMinRefresh
        self.state = .fetching
        self.lastStart = now
    }

    /// Whether a token's unknown `kid` may wait for a fetch now (a peek: nothing changes).
    func mayAwaitKeys(now: ContinuousClock.Instant) -> Bool {
        switch self.state {
        case .fetching: true
        case .idle: now - self.lastStart >= self.minRefresh
        case .stopped: false
        }
    }

    /// A token named a key the set lacks.
    mutating func unknownKey(now: ContinuousClock.Instant) -> UnknownKeyAction {
        switch self.state {
        case .fetching:
            return .wait
        case .stopped:
            return .refuse
        case .idle:
            guard now - self.lastStart >= self.minRefresh else { return .refuse }
            self.state = .fetching
            self.lastStart = now
            return .fetch
        }
    }

    /// The loop looks: true when it should fetch now (one was asked for, or the set's time is up).
    mutating func fetchDue(now: ContinuousClock.Instant) -> Bool {
        switch self.state {
        case .fetching:
            return true
        case .stopped:
            return false
        case .idle(let due):
            guard now >= due else { return false }
            self.state = .fetching
            self.lastStart = now
            return true
        }
    }

    /// The service stops: no fetch from now on.
    mutating func stop() {
        self.state = .stopped
    }

    /// The fetch brought a valid set, to be used for `maxAge` (its `Cache-Control`), within bounds.
    mutating func fetched(maxAge: Duration?, now: ContinuousClock.Instant) {
        guard self.state != .stopped else { return }
        let lifetime = min(max(maxAge ?? self.cacheMax, self.cacheMin), self.cacheMax)
        self.state = .idle(due: now + lifetime)
        self.loadedAt = now
        self.failure = nil
    }

    /// The fetch failed: the keys in use stay, and the next fetch is `jwks_min_refresh` away.
    mutating func failed(_ reason: String, now: ContinuousClock.Instant) {
        guard self.state != .stopped else { return }
        self.state = .idle(due: now + self.minRefresh)
        self.failure = Failure(reason: reason, since: self.failure?.since ?? now, attempts: (self.failure?.attempts ?? 0) + 1)
    }
}
