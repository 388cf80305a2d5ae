@testable import JobStatusClient
import Testing

/// The waiting machines as tables: answers in, actions out, on instants the test chooses (no I/O).
@Suite("Waiting for jobs (the client's machines)")
struct JobWaitTests {
    static let start = ContinuousClock.now
    static let eta = "2026-12-07T10:00:00.000Z"

    static func pending(_ id: String = "a", tag: String? = #"W/"2.1""#) -> JobResult {
        JobResult(id: id, state: .pending(.init(status: .pending, eta: eta, links: [.init(entity: .job, href: "/api/jobs/\(id)")])), etag: tag)
    }

    static func processed(_ id: String = "a") -> JobResult {
        JobResult(id: id, state: .processedWithLinks(.init(status: .processed, eta: eta, statusCode: "200", links: [.init(entity: "encounter", href: "/e/1")])), etag: #"W/"3.1""#)
    }

    static func machine(timeout: Duration? = nil, maxRetries: Int = 8) -> JobWait {
        JobWait(id: "a", timeout: timeout, maxWait: 30, maxRetries: maxRetries, now: start)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let answers: [WaitAnswer]
        let expected: [WaitAction]
        var testDescription: String { self.name }
    }

    static let rows: [Row] = [
        Row(name: "held pending: ask again, sending the tag back", answers: [.job(pending(), held: true, retryAfter: 30)],
            expected: [.ask(wait: 30, ifNoneMatch: #"W/"2.1""#, ids: [])]),
        Row(name: "a held 304: ask again at once with the same tag",
            answers: [.job(pending(), held: true, retryAfter: nil), .notModified(held: true, retryAfter: nil)],
            expected: [.ask(wait: 30, ifNoneMatch: #"W/"2.1""#, ids: []), .ask(wait: 30, ifNoneMatch: #"W/"2.1""#, ids: [])]),
        Row(name: "not held (long polls off): sleep Retry-After", answers: [.job(pending(), held: false, retryAfter: 7)],
            expected: [.sleep(.seconds(7))]),
        Row(name: "429: sleep Retry-After", answers: [.throttled(retryAfter: 4)], expected: [.sleep(.seconds(4))]),
        Row(name: "503: sleep Retry-After", answers: [.unavailable(status: 503, retryAfter: 2)], expected: [.sleep(.seconds(2))]),
        Row(name: "a load balancer's 502: one second", answers: [.unavailable(status: 502, retryAfter: nil)], expected: [.sleep(.seconds(1))]),
        Row(name: "303: finished, not followed", answers: [.job(processed(), held: false, retryAfter: nil)], expected: [.finish(processed())]),
        Row(name: "404: final", answers: [.notFound], expected: [.finish(JobResult(id: "a", state: .notFound))]),
        Row(name: "401: refused", answers: [.refused(status: 401, type: "access_denied", message: "Invalid access token")],
            expected: [.fail(.refused(status: 401, type: "access_denied", message: "Invalid access token"))]),
    ]

    @Test("one job", arguments: rows)
    func table(_ row: Row) {
        var machine = Self.machine()
        #expect(machine.start(at: Self.start) == .ask(wait: 30, ifNoneMatch: nil, ids: []))
        for (answer, expected) in zip(row.answers, row.expected) {
            #expect(machine.answered(answer, at: Self.start) == expected)
        }
    }

    @Test("failures to connect back off (0.1, 0.2, 0.4 s) and end the wait after maxRetries; an answer resets them")
    func retries() {
        var machine = Self.machine(maxRetries: 3)
        let pauses = (0..<4).map { _ in machine.unreachable("refused", at: Self.start) }
        #expect(Array(pauses.prefix(3)) == [.sleep(.milliseconds(100)), .sleep(.milliseconds(200)), .sleep(.milliseconds(400))])
        guard case .fail(.unavailable) = pauses[3] else { Issue.record("\(pauses[3])"); return }
        var other = Self.machine(maxRetries: 1)
        _ = other.unreachable("refused", at: Self.start)
        _ = other.answered(.job(Self.pending(), held: true, retryAfter: nil), at: Self.start)
        #expect(other.unreachable("refused", at: Self.start) == .sleep(.milliseconds(100)))
    }

    @Test("the deadline caps the hold (rounded up) and the sleeps, and ends the wait with the last state")
    func deadline() {
        var machine = Self.machine(timeout: .seconds(10))
        #expect(machine.start(at: Self.start) == .ask(wait: 10, ifNoneMatch: nil, ids: []))
        let later = Self.start + .milliseconds(7500)
        #expect(machine.answered(.job(Self.pending(), held: true, retryAfter: nil), at: later) == .ask(wait: 2, ifNoneMatch: #"W/"2.1""#, ids: []), "2.5 s left: the whole seconds")
        #expect(machine.answered(.throttled(retryAfter: 30), at: later) == .sleep(.milliseconds(2500)))
        let lastSecond = Self.start + .milliseconds(9500)
        #expect(machine.slept(at: lastSecond) == .ask(wait: 0, ifNoneMatch: #"W/"2.1""#, ids: []), "less than a second left: not held")
        #expect(machine.answered(.notModified(held: false, retryAfter: 1), at: lastSecond) == .sleep(.milliseconds(500)), "then a sleep to the deadline")
        #expect(machine.slept(at: Self.start + .seconds(10)) == .fail(.timedOut(last: [Self.pending()])))
    }

    @Test("a list answer must name the ids asked, else the wait ends; a list timeout has every listed job's last state")
    func listMismatchAndTimeout() {
        var machine = JobListWait(ids: ["a", "b"], timeout: .seconds(5), maxWait: 30, maxRetries: 8, now: Self.start)
        _ = machine.start(at: Self.start)
        guard case .fail(.mismatched) = machine.answered(.list([Self.processed("a")], tag: nil, held: false, retryAfter: nil), at: Self.start) else {
            Issue.record("b left out must end the wait")
            return
        }
        #expect(machine.takeFinished().isEmpty)
        var other = JobListWait(ids: ["a", "b"], timeout: .seconds(5), maxWait: 30, maxRetries: 8, now: Self.start)
        _ = other.start(at: Self.start)
        _ = other.answered(.list([Self.pending("a"), Self.processed("b")], tag: nil, held: false, retryAfter: nil), at: Self.start)
        #expect(other.slept(at: Self.start + .seconds(5)) == .fail(.timedOut(last: [Self.pending("a"), Self.processed("b")])))
    }

    @Test("a list: first not held, then held for the ids left (with the tag while the list is the same), handing out what finished")
    func list() {
        var machine = JobListWait(ids: ["a", "b", "c", "a"], timeout: nil, maxWait: 30, maxRetries: 8, now: Self.start)
        #expect(machine.start(at: Self.start) == .ask(wait: 0, ifNoneMatch: nil, ids: ["a", "b", "c"]))
        let first: WaitAnswer = .list([Self.pending("a"), Self.processed("b"), JobResult(id: "c", state: .notFound)], tag: #"W/"l0""#, held: false, retryAfter: 30)
        #expect(machine.answered(first, at: Self.start) == .ask(wait: 30, ifNoneMatch: nil, ids: ["a"]), "another list: not the old one's tag")
        #expect(machine.takeFinished().map(\.id) == ["b", "c"])
        #expect(machine.takeFinished().isEmpty)
        let tagged: WaitAction = .ask(wait: 30, ifNoneMatch: #"W/"l1""#, ids: ["a"])
        #expect(machine.answered(.list([Self.pending("a")], tag: #"W/"l1""#, held: true, retryAfter: 30), at: Self.start) == tagged, "woken by progress: the same list, with its tag")
        #expect(machine.answered(.notModified(held: true, retryAfter: nil), at: Self.start) == tagged, "unchanged to the end of the hold")
        #expect(machine.answered(.list([Self.pending("a")], tag: #"W/"l1""#, held: false, retryAfter: 5), at: Self.start) == .sleep(.seconds(5)))
        #expect(machine.answered(.list([Self.processed("a")], tag: nil, held: true, retryAfter: nil), at: Self.start) == .finish(nil))
        #expect(machine.takeFinished().map(\.id) == ["a"])
    }
}
