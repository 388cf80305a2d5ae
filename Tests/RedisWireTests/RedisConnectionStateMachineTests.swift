import NIOCore
import Testing

@testable import RedisWire

/// A Redis connection's life as a table: events in, one short line per action out. Links are
/// plain numbers here; in `RedisConnection` they are channels.
@Suite("Redis connection life")
struct RedisConnectionStateMachineTests {
    enum Event {
        case start
        case succeeded(attempt: UInt64, link: Int, port: Int)
        case failed(attempt: UInt64)
        case closed(attempt: UInt64)
        case timer
        case announced(port: Int)
        case demoted(attempt: UInt64)
        case shutdown
    }

    static func url(_ port: Int) -> RedisURL { RedisURL(host: "10.0.0.1", port: port) }

    static func run(_ events: [Event]) -> [String] {
        // 0, 10, 20, 40 … ms, as RedisConnectionConfiguration.backoff does with 10 ms.
        var machine = RedisConnectionStateMachine<Int> { attempt in
            attempt <= 1 ? .zero : .milliseconds(10 << min(attempt - 2, 20))
        }
        return events.map { event in
            switch event {
            case .start: return Self.describe(machine.start())
            case .succeeded(let attempt, let link, let port): return Self.describe(machine.attemptSucceeded(attempt, link: link, url: Self.url(port)))
            case .failed(let attempt): return Self.describe(machine.attemptFailed(attempt, cause: "refused"))
            case .closed(let attempt): return Self.describe(machine.linkClosed(attempt))
            case .timer: return Self.describe(machine.reconnectTimerFired())
            case .announced(let port): return Self.describe(machine.primaryAnnounced(RedisNode(host: "10.0.0.1", port: port)))
            case .demoted(let attempt): return Self.describe(machine.demoted(attempt))
            case .shutdown:
                let (link, cancelTimer) = machine.shutdown()
                return "shut down" + (link.map { ", close link \($0)" } ?? "") + (cancelTimer ? ", cancel timer" : "")
            }
        }
    }

    static func describe(_ action: RedisConnectionStateMachine<Int>.Action) -> String {
        switch action {
        case .none: "none"
        case .connect(let attempt, let cancelTimer): "connect #\(attempt)" + (cancelTimer ? ", cancel timer" : "")
        case .ready(let link, let attempt, let url, let failures): "ready #\(attempt) link \(link) at \(url.port) after \(failures) failures"
        case .failed(_, let failures, let loud, let retryIn):
            "failed \(failures)\(loud ? " loudly" : ""), retry in \(retryIn.nanoseconds / 1_000_000) ms"
        case .lost(let url, let retryIn): "lost \(url.port), retry in \(retryIn.nanoseconds / 1_000_000) ms"
        case .close(let link, .primaryMoved(_, let to)): "close link \(link): master moved to \(to.port)"
        case .close(let link, .demoted): "close link \(link): demoted"
        case .close(let link, .overtaken): "close link \(link): overtaken"
        }
    }

    static let table: [(name: String, events: [Event], actions: [String])] = [
        (
            "connects, loses the link, reconnects at once",
            [.start, .succeeded(attempt: 1, link: 7, port: 1), .closed(attempt: 1), .timer, .succeeded(attempt: 2, link: 8, port: 1)],
            ["connect #1", "ready #1 link 7 at 1 after 0 failures", "lost 1, retry in 0 ms", "connect #2", "ready #2 link 8 at 1 after 0 failures"]
        ),
        (
            "failures back off exponentially and are logged loudly at 1, 2, 4, 8 …; success resets the count",
            [.start, .failed(attempt: 1), .timer, .failed(attempt: 2), .timer, .failed(attempt: 3), .timer, .failed(attempt: 4), .timer,
             .succeeded(attempt: 5, link: 1, port: 1)],
            ["connect #1", "failed 1 loudly, retry in 10 ms", "connect #2", "failed 2 loudly, retry in 20 ms", "connect #3",
             "failed 3, retry in 40 ms", "connect #4", "failed 4 loudly, retry in 80 ms", "connect #5", "ready #5 link 1 at 1 after 4 failures"]
        ),
        (
            "an attempt that ends after shutdown closes its link; nothing reconnects",
            [.start, .shutdown, .succeeded(attempt: 1, link: 3, port: 1), .failed(attempt: 1), .timer],
            ["connect #1", "shut down", "close link 3: overtaken", "none", "none"]
        ),
        (
            "shutdown closes the ready link, or cancels the armed timer",
            [.start, .succeeded(attempt: 1, link: 3, port: 1), .shutdown],
            ["connect #1", "ready #1 link 3 at 1 after 0 failures", "shut down, close link 3"]
        ),
        (
            "shutdown while waiting to reconnect cancels the timer",
            [.start, .failed(attempt: 1), .shutdown, .timer],
            ["connect #1", "failed 1 loudly, retry in 10 ms", "shut down, cancel timer", "none"]
        ),
        (
            "Sentinel: another master announced closes the link; the same one does nothing; a waiting connection reconnects now",
            [.start, .succeeded(attempt: 1, link: 5, port: 1), .announced(port: 1), .announced(port: 2), .closed(attempt: 1),
             .announced(port: 2), .timer],
            ["connect #1", "ready #1 link 5 at 1 after 0 failures", "none", "close link 5: master moved to 2", "lost 1, retry in 0 ms",
             "connect #2, cancel timer", "none"]
        ),
        (
            "a READONLY from the current master closes its link; from an older link it does nothing",
            [.start, .succeeded(attempt: 1, link: 5, port: 1), .closed(attempt: 1), .timer, .succeeded(attempt: 2, link: 6, port: 2),
             .demoted(attempt: 1), .demoted(attempt: 2)],
            ["connect #1", "ready #1 link 5 at 1 after 0 failures", "lost 1, retry in 0 ms", "connect #2", "ready #2 link 6 at 2 after 0 failures",
             "none", "close link 6: demoted"]
        ),
        (
            "the end of an overtaken attempt is ignored: a stale failure, a stale close",
            [.start, .failed(attempt: 1), .announced(port: 2), .failed(attempt: 1), .closed(attempt: 1), .succeeded(attempt: 2, link: 9, port: 2)],
            ["connect #1", "failed 1 loudly, retry in 10 ms", "connect #2, cancel timer", "none", "none", "ready #2 link 9 at 2 after 1 failures"]
        ),
        (
            "start twice starts once",
            [.start, .start],
            ["connect #1", "none"]
        ),
    ]

    @Test("each sequence of events returns its actions")
    func table() {
        for row in Self.table {
            #expect(Self.run(row.events) == row.actions, "\(row.name)")
        }
    }
}
