import Testing

@testable import RedisWire

/// The per-channel subscription machine as a table: a history of events, the actions and the
/// state it ends in.
@Suite("Subscription state machine")
struct SubscriptionStateMachineTests {
    typealias Machine = SubscriptionStateMachine

    enum Event: CustomStringConvertible {
        case retain, release, expire, revoked, linkLost
        case subscribed(UInt64)
        case subscribeFailed(UInt64, Machine.Refusal)
        case unsubscribed(UInt64)
        case unsubscribeLost(UInt64)
        case attach(nodeChanged: Bool)

        var description: String {
            switch self {
            case .retain: "retain"
            case .release: "release"
            case .expire: "expire"
            case .revoked: "revoked"
            case .linkLost: "linkLost"
            case .subscribed(let generation): "subscribed \(generation)"
            case .subscribeFailed(let generation, let refusal): "subscribeFailed \(generation) \(refusal)"
            case .unsubscribed(let generation): "unsubscribed \(generation)"
            case .unsubscribeLost(let generation): "unsubscribeLost \(generation)"
            case .attach(let changed): "attach changed=\(changed)"
            }
        }

        func apply(to machine: inout Machine) -> Machine.Action {
            switch self {
            case .retain: machine.retain()
            case .release: machine.release()
            case .expire: machine.expire()
            case .revoked: machine.revoked()
            case .linkLost: machine.linkLost()
            case .subscribed(let generation): machine.subscribed(generation: generation)
            case .subscribeFailed(let generation, let refusal): machine.subscribeFailed(generation: generation, refusal)
            case .unsubscribed(let generation): machine.unsubscribed(generation: generation)
            case .unsubscribeLost(let generation): machine.unsubscribed(generation: generation, linkDown: true)
            case .attach(let changed): machine.attach(nodeChanged: changed)
            }
        }
    }

    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let events: [Event]
        let actions: [Machine.Action]
        let end: Machine.State

        var testDescription: String { self.name }
    }

    static let rows: [Row] = [
        Row(name: "subscribe and confirm", events: [.retain, .subscribed(1)],
            actions: [.subscribe(generation: 1), .opened(generation: 1, resumed: nil)], end: .active(generation: 1)),
        Row(name: "released: lingers, and wanted again it is ready at once with no command",
            events: [.retain, .subscribed(1), .release, .retain],
            actions: [.subscribe(generation: 1), .opened(generation: 1, resumed: nil), .none, .opened(generation: 1, resumed: nil)],
            end: .active(generation: 1)),
        Row(name: "the linger expires: unsubscribe, then forget",
            events: [.retain, .subscribed(1), .release, .expire, .unsubscribed(1)],
            actions: [.subscribe(generation: 1), .opened(generation: 1, resumed: nil), .none, .unsubscribe(generation: 1), .forget],
            end: .closed),
        Row(name: "expire while wanted does nothing", events: [.retain, .subscribed(1), .expire],
            actions: [.subscribe(generation: 1), .opened(generation: 1, resumed: nil), .none], end: .active(generation: 1)),
        Row(name: "wanted again while closing: subscribed again with a new generation once the unsubscribe is answered",
            events: [.retain, .subscribed(1), .release, .expire, .retain, .unsubscribed(1), .subscribed(2)],
            actions: [
                .subscribe(generation: 1), .opened(generation: 1, resumed: nil), .none, .unsubscribe(generation: 1), .none,
                .subscribe(generation: 2), .opened(generation: 2, resumed: nil),
            ],
            end: .active(generation: 2)),
        Row(name: "race: the reply to an older subscribe cannot confirm a newer one",
            events: [.retain, .subscribed(1), .release, .expire, .retain, .unsubscribed(1), .subscribed(1)],
            actions: [
                .subscribe(generation: 1), .opened(generation: 1, resumed: nil), .none, .unsubscribe(generation: 1), .none,
                .subscribe(generation: 2), .none,
            ],
            end: .opening(generation: 2, wanted: true, resuming: nil)),
        Row(name: "released while opening: confirmed into lingering", events: [.retain, .release, .subscribed(1)],
            actions: [.subscribe(generation: 1), .none, .opened(generation: 1, resumed: nil)], end: .lingering(generation: 1)),
        Row(name: "refused (ACL, unknown command): who waits is told, nothing to re-make",
            events: [.retain, .subscribeFailed(1, .refused)],
            actions: [.subscribe(generation: 1), .failed(watchBroken: false)], end: .closed),
        Row(name: "the link is down at the first subscribe: who waits reads without a watch",
            events: [.retain, .subscribeFailed(1, .linkDown)],
            actions: [.subscribe(generation: 1), .failed(watchBroken: false)], end: .closed),
        Row(name: "MOVED on the first subscribe: detached, relocated, made again (migration)",
            events: [.retain, .subscribeFailed(1, .moved), .attach(nodeChanged: true), .subscribed(2)],
            actions: [
                .subscribe(generation: 1), .interrupted(relocate: true), .subscribe(generation: 2),
                .opened(generation: 2, resumed: .migration),
            ],
            end: .active(generation: 2)),
        Row(name: "the slot migrates (sunsubscribe pushed): made again where it lives now (migration)",
            events: [.retain, .subscribed(1), .revoked, .attach(nodeChanged: true), .subscribed(2)],
            actions: [
                .subscribe(generation: 1), .opened(generation: 1, resumed: nil), .interrupted(relocate: false),
                .subscribe(generation: 2), .opened(generation: 2, resumed: .migration),
            ],
            end: .active(generation: 2)),
        Row(name: "a lingering subscription revoked is forgotten", events: [.retain, .subscribed(1), .release, .revoked],
            actions: [.subscribe(generation: 1), .opened(generation: 1, resumed: nil), .none, .forget], end: .closed),
        Row(name: "a revoke while closing waits for the unsubscribe's reply",
            events: [.retain, .subscribed(1), .release, .expire, .revoked, .unsubscribed(1)],
            actions: [.subscribe(generation: 1), .opened(generation: 1, resumed: nil), .none, .unsubscribe(generation: 1), .none, .forget],
            end: .closed),
        Row(name: "the link drops and the same node comes back (reconnect)",
            events: [.retain, .subscribed(1), .linkLost, .attach(nodeChanged: false), .subscribed(2)],
            actions: [
                .subscribe(generation: 1), .opened(generation: 1, resumed: nil), .interrupted(relocate: false),
                .subscribe(generation: 2), .opened(generation: 2, resumed: .reconnect),
            ],
            end: .active(generation: 2)),
        Row(name: "the link drops and another node serves the channel (failover)",
            events: [.retain, .subscribed(1), .linkLost, .attach(nodeChanged: true), .subscribed(2)],
            actions: [
                .subscribe(generation: 1), .opened(generation: 1, resumed: nil), .interrupted(relocate: false),
                .subscribe(generation: 2), .opened(generation: 2, resumed: .failover),
            ],
            end: .active(generation: 2)),
        Row(name: "re-making fails on a link that drops again: detached again, not failed",
            events: [.retain, .subscribed(1), .linkLost, .attach(nodeChanged: false), .subscribeFailed(2, .linkDown)],
            actions: [
                .subscribe(generation: 1), .opened(generation: 1, resumed: nil), .interrupted(relocate: false),
                .subscribe(generation: 2), .none,
            ],
            end: .detached(.linkLost)),
        Row(name: "re-making refused: the watch is broken",
            events: [.retain, .subscribed(1), .linkLost, .attach(nodeChanged: false), .subscribeFailed(2, .refused)],
            actions: [
                .subscribe(generation: 1), .opened(generation: 1, resumed: nil), .interrupted(relocate: false),
                .subscribe(generation: 2), .failed(watchBroken: true),
            ],
            end: .closed),
        Row(name: "detached and released: forgotten (nothing at Redis)", events: [.retain, .subscribed(1), .linkLost, .release],
            actions: [.subscribe(generation: 1), .opened(generation: 1, resumed: nil), .interrupted(relocate: false), .forget],
            end: .closed),
        Row(name: "a lingering subscription's link drops: forgotten", events: [.retain, .subscribed(1), .release, .linkLost],
            actions: [.subscribe(generation: 1), .opened(generation: 1, resumed: nil), .none, .forget], end: .closed),
        Row(name: "the link drops while opening: like a failed first subscribe; the late failure is stale",
            events: [.retain, .linkLost, .subscribeFailed(1, .linkDown)],
            actions: [.subscribe(generation: 1), .failed(watchBroken: false), .none], end: .closed),
        Row(name: "the link drops while closing and the channel is wanted again: detached, made again once back",
            events: [.retain, .subscribed(1), .release, .expire, .retain, .unsubscribeLost(1), .attach(nodeChanged: false)],
            actions: [
                .subscribe(generation: 1), .opened(generation: 1, resumed: nil), .none, .unsubscribe(generation: 1), .none, .none,
                .subscribe(generation: 2),
            ],
            end: .opening(generation: 2, wanted: true, resuming: .reconnect)),
        Row(name: "attach does nothing unless detached", events: [.retain, .attach(nodeChanged: true)],
            actions: [.subscribe(generation: 1), .none], end: .opening(generation: 1, wanted: true, resuming: nil)),
    ]

    @Test("events in, actions out", arguments: Self.rows)
    func table(_ row: Row) {
        var machine = Machine()
        var actions: [Machine.Action] = []
        for event in row.events {
            actions.append(event.apply(to: &machine))
        }
        #expect(actions == row.actions, "\(row.events)")
        #expect(machine.state == row.end)
    }

    @Test("what Redis holds: opening, active, lingering and closing; not closed or detached")
    func held() {
        var machine = Machine()
        #expect(!machine.isHeld)
        _ = machine.retain()
        #expect(machine.isHeld)
        _ = machine.subscribed(generation: 1)
        #expect(machine.isHeld)
        _ = machine.linkLost()
        #expect(!machine.isHeld)
    }
}
