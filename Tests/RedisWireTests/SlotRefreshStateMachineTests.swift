import NIOCore
import Testing

@testable import RedisWire

/// The cluster router's refresh of its slot map, as a table: events at times (in milliseconds),
/// and the action each returns.
@Suite("Slot map refresh")
struct SlotRefreshStateMachineTests {
    enum Event {
        case request(at: Int64)
        case now(at: Int64)
        case timer(at: Int64)
        case finished(succeeded: Bool, at: Int64)
        /// A refresh ended with a map that names a primary the router cannot reach.
        case degraded(at: Int64)
        case shutdown
    }

    static func deadline(_ milliseconds: Int64) -> NIODeadline {
        .uptimeNanoseconds(UInt64(1_000_000_000 + milliseconds * 1_000_000))
    }

    static func run(_ events: [Event]) -> [SlotRefreshStateMachine.Action] {
        var machine = SlotRefreshStateMachine(minimumInterval: .milliseconds(100), periodicInterval: .seconds(10), degradedInterval: .milliseconds(500))
        return events.map { event in
            switch event {
            case .request(let at): machine.refreshRequested(now: Self.deadline(at))
            case .now(let at): machine.refreshNow(now: Self.deadline(at))
            case .timer(let at): machine.scheduledFired(now: Self.deadline(at))
            case .finished(let succeeded, let at): machine.finished(succeeded: succeeded, now: Self.deadline(at))
            case .degraded(let at): machine.finished(succeeded: true, degraded: true, now: Self.deadline(at))
            case .shutdown: machine.shutdown()
            }
        }
    }

    static let table: [(name: String, events: [Event], actions: [SlotRefreshStateMachine.Action])] = [
        (
            "start reads at once; success re-arms the periodic refresh only",
            [.now(at: 0), .finished(succeeded: true, at: 30)],
            [.startRefresh, .rearm(periodic: .seconds(10), refreshIn: nil)]
        ),
        (
            "a burst of MOVED replies costs one refresh, spaced from the last start",
            [.now(at: 0), .finished(succeeded: true, at: 30), .request(at: 40), .request(at: 41), .request(at: 42), .timer(at: 100)],
            [.startRefresh, .rearm(periodic: .seconds(10), refreshIn: nil), .scheduleRefresh(in: .milliseconds(60)), .none, .none, .startRefresh]
        ),
        (
            "a request long after the last refresh is due at once",
            [.now(at: 0), .finished(succeeded: true, at: 30), .request(at: 5000), .timer(at: 5000)],
            [.startRefresh, .rearm(periodic: .seconds(10), refreshIn: nil), .scheduleRefresh(in: .zero), .startRefresh]
        ),
        (
            "a failed refresh is retried, spaced from its start",
            [.now(at: 0), .finished(succeeded: false, at: 20), .timer(at: 100)],
            [.startRefresh, .rearm(periodic: .seconds(10), refreshIn: .milliseconds(80)), .startRefresh]
        ),
        (
            "a request while a refresh runs follows it, since that refresh may predate the change",
            [.now(at: 0), .request(at: 10), .request(at: 11), .finished(succeeded: true, at: 50), .timer(at: 100)],
            [.startRefresh, .none, .none, .rearm(periodic: .seconds(10), refreshIn: .milliseconds(50)), .startRefresh]
        ),
        (
            "the periodic timer while a refresh runs does nothing; a stale refresh timer does nothing",
            [.now(at: 0), .now(at: 10), .timer(at: 20)],
            [.startRefresh, .none, .none]
        ),
        (
            "the periodic timer while a refresh is scheduled starts it; the refresh timer then finds it running",
            [.now(at: 0), .finished(succeeded: true, at: 10), .request(at: 20), .now(at: 30), .timer(at: 100)],
            [.startRefresh, .rearm(periodic: .seconds(10), refreshIn: nil), .scheduleRefresh(in: .milliseconds(80)), .startRefresh, .none]
        ),
        (
            "a map naming a primary that cannot be reached is read again every 500 ms (the periodic timer, armed shorter) until it names none",
            [.now(at: 0), .degraded(at: 30), .now(at: 530), .degraded(at: 540), .now(at: 1040), .finished(succeeded: true, at: 1050)],
            [
                .startRefresh, .rearm(periodic: .milliseconds(500), refreshIn: nil), .startRefresh,
                .rearm(periodic: .milliseconds(500), refreshIn: nil), .startRefresh, .rearm(periodic: .seconds(10), refreshIn: nil),
            ]
        ),
        (
            "a degraded map does not slow a request down: a failed command still refreshes at the usual spacing",
            [.now(at: 0), .degraded(at: 30), .request(at: 40), .timer(at: 100)],
            [.startRefresh, .rearm(periodic: .milliseconds(500), refreshIn: nil), .scheduleRefresh(in: .milliseconds(60)), .startRefresh]
        ),
        (
            "after shutdown nothing starts, and a refresh that ends re-arms nothing",
            [.now(at: 0), .shutdown, .request(at: 10), .timer(at: 100), .now(at: 200), .finished(succeeded: false, at: 300)],
            [.startRefresh, .cancelTimers, .none, .none, .none, .none]
        ),
    ]

    @Test("each sequence of events returns its actions")
    func table() {
        for row in Self.table {
            #expect(Self.run(row.events) == row.actions, "\(row.name)")
        }
    }
}
