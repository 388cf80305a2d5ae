/// The life of one channel's subscription on a subscriber connection, as a value: events in,
/// actions out, no I/O.
///
/// Every subscribe command carries a generation, so the reply to an older one (sent before the
/// channel was unsubscribed and subscribed again) never settles a newer one. A subscription that
/// Redis ends on its own — the connection dropped, the slot moved to another shard (`sunsubscribe`
/// pushed, or `MOVED` on `SSUBSCRIBE`) — is *detached*: it is made again as soon as the node that
/// now serves the channel is reachable, and once it is confirmed its watchers re-read, because
/// writes made in between published to nobody.
public struct SubscriptionStateMachine: Sendable, Equatable {
    /// Why a subscription was made again (the watchers' re-read, counted in `/metrics`).
    public enum Cause: String, Sendable, CaseIterable {
        /// The channel's slot moved to another shard.
        case migration
        /// The node serving the channel changed after its connection dropped.
        case failover
        /// The connection to the same node dropped and came back.
        case reconnect
    }

    /// Why a subscription is detached.
    public enum Detachment: Sendable, Equatable {
        /// Redis said the channel's slot is served elsewhere.
        case moved
        /// The connection carrying it dropped.
        case linkLost
    }

    public enum State: Sendable, Equatable {
        /// Nothing at Redis, nobody waiting: the entry can go.
        case closed
        /// The subscribe command `generation` is on its way. `wanted`: someone waits on the
        /// channel; `resuming`: this re-makes a subscription that was lost.
        case opening(generation: UInt64, wanted: Bool, resuming: Cause?)
        /// Subscribed, and someone waits on the channel.
        case active(generation: UInt64)
        /// Subscribed, nobody waits: kept a while for whoever asks next (the linger is the caller's).
        case lingering(generation: UInt64)
        /// The unsubscribe command is on its way; `reopen`: someone wants the channel again.
        case closing(generation: UInt64, reopen: Bool)
        /// Lost; made again once its node is reachable. Someone waits (a detached channel nobody
        /// wants is forgotten).
        case detached(Detachment)
    }

    public enum Action: Sendable, Equatable {
        case none
        case subscribe(generation: UInt64)
        case unsubscribe(generation: UInt64)
        /// Subscribed: tell who waits. After a loss (`resumed`), every watcher re-reads.
        case opened(generation: UInt64, resumed: Cause?)
        /// Cannot subscribe: who waits is told so (and, when the subscription had been made
        /// before, `watchBroken`: its watchers' watch is over). The entry goes.
        case failed(watchBroken: Bool)
        /// Lost: changes are no longer seen until it is made again. `relocate`: Redis named the
        /// node serving it (`MOVED`), go there now; otherwise wait for the link to come back or
        /// for a slot map that places it elsewhere.
        case interrupted(relocate: Bool)
        /// Nothing at Redis and nobody waiting: the entry goes.
        case forget
    }

    public private(set) var state: State = .closed
    /// The generation of the last subscribe command.
    private var generation: UInt64 = 0

    public init() {}

    /// Someone waits on the channel (the first interest, or interest back after `release`).
    public mutating func retain() -> Action {
        switch self.state {
        case .closed:
            return self.open(resuming: nil)
        case .lingering(let generation):
            self.state = .active(generation: generation)
            return .opened(generation: generation, resumed: nil)
        case .active(let generation):
            return .opened(generation: generation, resumed: nil)
        case .opening(let generation, _, let resuming):
            self.state = .opening(generation: generation, wanted: true, resuming: resuming)
        case .closing(let generation, _):
            self.state = .closing(generation: generation, reopen: true)
        case .detached:
            break
        }
        return .none
    }

    /// Nobody waits on the channel any more.
    public mutating func release() -> Action {
        switch self.state {
        case .active(let generation):
            self.state = .lingering(generation: generation)
        case .opening(let generation, true, let resuming):
            self.state = .opening(generation: generation, wanted: false, resuming: resuming)
        case .closing(let generation, true):
            self.state = .closing(generation: generation, reopen: false)
        case .detached:
            self.state = .closed
            return .forget
        case .closed, .lingering, .opening, .closing:
            break
        }
        return .none
    }

    /// The linger is over: a subscription nobody wants is ended.
    public mutating func expire() -> Action {
        guard case .lingering(let generation) = self.state else { return .none }
        self.state = .closing(generation: generation, reopen: false)
        return .unsubscribe(generation: generation)
    }

    /// The reply to subscribe command `generation`: confirmed.
    public mutating func subscribed(generation: UInt64) -> Action {
        guard case .opening(generation, let wanted, let resuming) = self.state else { return .none }
        self.state = wanted ? .active(generation: generation) : .lingering(generation: generation)
        return .opened(generation: generation, resumed: resuming)
    }

    /// Why a subscribe command got no subscription.
    public enum Refusal: Sendable, Equatable {
        /// `MOVED`: another node serves the channel's slot.
        case moved
        /// The connection is down or dropped.
        case linkDown
        /// An error reply (an ACL that denies the channel, an unknown command).
        case refused
    }

    /// The reply to subscribe command `generation`: no subscription.
    public mutating func subscribeFailed(generation: UInt64, _ refusal: Refusal) -> Action {
        guard case .opening(generation, let wanted, let resuming) = self.state else { return .none }
        switch refusal {
        case .moved where wanted:
            self.state = .detached(.moved)
            return .interrupted(relocate: true)
        case .linkDown where wanted && resuming != nil:
            // Re-making a lost subscription: keep trying once the link is back.
            self.state = .detached(.linkLost)
            return .none
        case .moved, .linkDown, .refused:
            self.state = .closed
            return wanted ? .failed(watchBroken: resuming != nil) : .forget
        }
    }

    /// The reply to unsubscribe command `generation` (or its failure: the connection dropped,
    /// which ends every subscription of it too).
    public mutating func unsubscribed(generation: UInt64, linkDown: Bool = false) -> Action {
        guard case .closing(generation, let reopen) = self.state else { return .none }
        guard reopen else {
            self.state = .closed
            return .forget
        }
        if linkDown {
            self.state = .detached(.linkLost)
            return .none
        }
        return self.open(resuming: nil)
    }

    /// Redis ended the subscription on its own (`sunsubscribe` pushed: the slot moved away).
    public mutating func revoked() -> Action {
        switch self.state {
        case .active:
            self.state = .detached(.moved)
            return .interrupted(relocate: false)
        case .lingering:
            self.state = .closed
            return .forget
        case .closed, .opening, .closing, .detached:
            // Opening: the push is about an older subscription, and the pending reply decides.
            // Closing: the reply to the unsubscribe still comes and settles it.
            return .none
        }
    }

    /// The connection carrying the channel dropped (its pending commands fail too; whichever
    /// comes first settles the state).
    public mutating func linkLost() -> Action {
        switch self.state {
        case .active:
            self.state = .detached(.linkLost)
            return .interrupted(relocate: false)
        case .lingering:
            self.state = .closed
            return .forget
        case .opening(let generation, _, _):
            return self.subscribeFailed(generation: generation, .linkDown)
        case .closing(let generation, _):
            return self.unsubscribed(generation: generation, linkDown: true)
        case .closed, .detached:
            return .none
        }
    }

    /// The node now serving a detached channel is reachable: subscribe there. `nodeChanged`: it
    /// is not the node the subscription was lost on.
    public mutating func attach(nodeChanged: Bool) -> Action {
        guard case .detached(let detachment) = self.state else { return .none }
        let cause: Cause = detachment == .moved ? .migration : nodeChanged ? .failover : .reconnect
        return self.open(resuming: cause)
    }

    /// Whether Redis holds (or is asked for) the subscription: what is counted per node.
    public var isHeld: Bool {
        switch self.state {
        case .opening, .active, .lingering, .closing: true
        case .closed, .detached: false
        }
    }

    private mutating func open(resuming: Cause?) -> Action {
        self.generation += 1
        self.state = .opening(generation: self.generation, wanted: true, resuming: resuming)
        return .subscribe(generation: self.generation)
    }
}
