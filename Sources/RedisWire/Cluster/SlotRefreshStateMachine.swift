import NIOCore

/// When the cluster router reads its slot map again, as a value: the router reports what
/// happens (a redirection or a failed node asks for a refresh, a timer fires, a refresh ends) and
/// carries out the action returned.
///
/// Refreshes are spaced by `minimumInterval` at least, so a burst of `MOVED` replies during a
/// resharding costs one `CLUSTER SLOTS`, not one per command; one runs every `periodicInterval`
/// when nothing asks, which is how replicas that finished their first sync and added nodes are
/// found (they redirect no one). A refresh asked for while one runs follows it: the running one may
/// have read the map before the change that asked. A map that names a primary the router cannot
/// reach is read again every `degradedInterval` until it names none: that is how a failover,
/// which takes the cluster a few seconds, is seen as soon as it is done.
struct SlotRefreshStateMachine {
    enum State: Equatable {
        /// Nothing runs or waits; the last refresh began at `lastStart`.
        case idle(lastStart: NIODeadline)
        /// A refresh is due when the timer armed with `scheduleRefresh` fires.
        case scheduled(lastStart: NIODeadline)
        /// A refresh is reading the map; `again`: another was asked for meanwhile.
        case running(since: NIODeadline, again: Bool)
        case shutDown
    }

    enum Action: Equatable {
        case none
        /// Read the map now (and report `finished`).
        case startRefresh
        /// Arm the one refresh timer, firing `scheduledFired` after `delay`.
        case scheduleRefresh(in: TimeAmount)
        /// A refresh ended: re-arm the periodic timer; and, when the map is still wanted (the
        /// refresh failed, or another was asked for meanwhile), arm the refresh timer too.
        case rearm(periodic: TimeAmount, refreshIn: TimeAmount?)
        /// Cancel both timers; nothing more happens.
        case cancelTimers
    }

    let minimumInterval: TimeAmount
    let periodicInterval: TimeAmount
    let degradedInterval: TimeAmount
    private(set) var state: State

    init(minimumInterval: TimeAmount, periodicInterval: TimeAmount, degradedInterval: TimeAmount) {
        self.minimumInterval = minimumInterval
        self.periodicInterval = periodicInterval
        self.degradedInterval = degradedInterval
        self.state = .idle(lastStart: .uptimeNanoseconds(0))
    }

    /// Something suggests the map is stale (a `MOVED`, a failed node, a slot no node serves).
    mutating func refreshRequested(now: NIODeadline) -> Action {
        switch self.state {
        case .idle(let lastStart):
            self.state = .scheduled(lastStart: lastStart)
            return .scheduleRefresh(in: self.delay(after: lastStart, now: now))
        case .running(let since, _):
            self.state = .running(since: since, again: true)
            return .none
        case .scheduled, .shutDown:
            return .none
        }
    }

    /// The router starts, or the periodic timer fired: read the map now unless a refresh runs.
    mutating func refreshNow(now: NIODeadline) -> Action {
        switch self.state {
        case .idle, .scheduled:
            self.state = .running(since: now, again: false)
            return .startRefresh
        case .running, .shutDown:
            return .none
        }
    }

    /// The refresh timer fired.
    mutating func scheduledFired(now: NIODeadline) -> Action {
        guard case .scheduled = self.state else { return .none }
        self.state = .running(since: now, again: false)
        return .startRefresh
    }

    /// The running refresh ended, with a new map or without one; `degraded`: the map names a
    /// primary the router cannot reach.
    mutating func finished(succeeded: Bool, degraded: Bool = false, now: NIODeadline) -> Action {
        guard case .running(let since, let again) = self.state else { return .none }
        guard !succeeded || again else {
            // A degraded map is read again soon by the periodic timer, armed shorter; a request
            // meanwhile (a failed command) is still served at the usual spacing.
            self.state = .idle(lastStart: since)
            return .rearm(periodic: degraded ? self.degradedInterval : self.periodicInterval, refreshIn: nil)
        }
        self.state = .scheduled(lastStart: since)
        return .rearm(periodic: self.periodicInterval, refreshIn: self.delay(after: since, now: now))
    }

    mutating func shutdown() -> Action {
        self.state = .shutDown
        return .cancelTimers
    }

    var isShutDown: Bool { self.state == .shutDown }

    private func delay(after lastStart: NIODeadline, now: NIODeadline) -> TimeAmount {
        max(.zero, lastStart + self.minimumInterval - now)
    }
}
