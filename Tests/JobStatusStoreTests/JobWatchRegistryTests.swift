import JobStatusCore
import NIOCore
import NIOEmbedded
import RedisWire
import Testing

@testable import JobStatusStore

/// The per-loop watch registry against a subscription source the test drives: one interest per
/// job, fan-out, and the races that generations and attempt numbers rule out.
@Suite("Watch registry")
struct JobWatchRegistryTests {
    @Test("many sessions on one job share one interest; the last to leave releases it")
    func shared() {
        let fixture = Fixture()
        let (first, firstEvents) = fixture.session()
        let (second, secondEvents) = fixture.session()
        first.watch(ids: ["a"], generation: 1)
        second.watch(ids: ["a"], generation: 7)
        #expect(fixture.source.retained == ["job:a"])
        fixture.source.settle(0, subscribed: true)
        #expect(firstEvents.events == ["ready 1"])
        #expect(secondEvents.events == ["ready 7"])
        fixture.registry.tell(.changed, about: "job:a")
        #expect(firstEvents.events == ["ready 1", "changed 1"])
        #expect(secondEvents.events == ["ready 7", "changed 7"])
        first.endWatch()
        #expect(fixture.source.released.isEmpty)
        second.endWatch()
        #expect(fixture.source.released == ["job:a"])
        #expect(fixture.registry.watchedJobCount == 0)
    }

    @Test("a watcher that joins a confirmed job is ready at once")
    func joinsConfirmed() {
        let fixture = Fixture()
        let (first, _) = fixture.session()
        first.watch(ids: ["a"], generation: 1)
        fixture.source.settle(0, subscribed: true)
        let (second, events) = fixture.session()
        second.watch(ids: ["a"], generation: 2)
        #expect(events.events == ["ready 2"])
        #expect(fixture.source.retained.count == 1)
    }

    @Test("race: a confirmation of a released interest cannot settle the next one")
    func lateConfirmation() {
        let fixture = Fixture()
        let (session, events) = fixture.session()
        session.watch(ids: ["a"], generation: 1)
        session.endWatch()
        session.watch(ids: ["a"], generation: 2)
        #expect(fixture.source.retained == ["job:a", "job:a"])
        fixture.source.settle(0, subscribed: true)
        #expect(events.events.isEmpty, "the first SUBSCRIBE's reply says nothing about the second")
        fixture.source.settle(1, subscribed: true)
        #expect(events.events == ["ready 2"])
    }

    @Test("a subscription that cannot be made: unavailable, and nothing to release")
    func unavailable() {
        let fixture = Fixture()
        let (session, events) = fixture.session()
        session.watch(ids: ["a"], generation: 1)
        fixture.source.settle(0, subscribed: false)
        #expect(events.events == ["unavailable 1"])
        session.endWatch()
        #expect(fixture.source.released.isEmpty)
        #expect(fixture.registry.watchedJobCount == 0)
    }

    @Test("a broken subscription: its confirmed watches are lost, pending ones unavailable, late answers ignored")
    func broken() {
        let fixture = Fixture()
        let (confirmed, confirmedEvents) = fixture.session()
        let (pending, pendingEvents) = fixture.session()
        confirmed.watch(ids: ["a"], generation: 1)
        fixture.source.settle(0, subscribed: true)
        pending.watch(ids: ["b"], generation: 2)
        fixture.registry.broken("job:a")
        fixture.registry.broken("job:b")
        #expect(confirmedEvents.events == ["ready 1", "lost 1"])
        #expect(pendingEvents.events == ["unavailable 2"])
        fixture.source.settle(1, subscribed: true)
        #expect(pendingEvents.events == ["unavailable 2"])
        confirmed.endWatch()
        pending.endWatch()
        #expect(fixture.source.released.isEmpty, "the source already forgot them")
    }

    @Test("events of a replaced watch never reach the session")
    func replacedWatch() {
        let fixture = Fixture()
        let (session, events) = fixture.session()
        session.watch(ids: ["a"], generation: 1)
        fixture.source.settle(0, subscribed: true)
        session.watch(ids: ["b"], generation: 2)
        fixture.registry.tell(.changed, about: "job:a")
        #expect(events.events == ["ready 1"])
        #expect(fixture.source.released == ["job:a"])
    }

    @Test("one watch over several jobs: ready once every job is, changed by any, released together")
    func severalJobs() {
        let fixture = Fixture()
        let (session, events) = fixture.session()
        session.watch(ids: ["a", "b", "c"], generation: 4)
        #expect(fixture.source.retained == ["job:a", "job:b", "job:c"])
        fixture.source.settle(0, subscribed: true)
        fixture.source.settle(2, subscribed: true)
        #expect(events.events.isEmpty, "b is not watched yet: a read now could miss its change")
        fixture.source.settle(1, subscribed: true)
        #expect(events.events == ["ready 4"])
        fixture.registry.tell(.changed, about: "job:b")
        fixture.registry.tell(.changed, about: "job:c")
        #expect(events.events == ["ready 4", "changed 4", "changed 4"])
        session.endWatch()
        #expect(fixture.source.released.sorted() == ["job:a", "job:b", "job:c"])
    }

    @Test("one job of several cannot be watched: the whole watch is unavailable and the others are released")
    func severalJobsOneRefused() {
        let fixture = Fixture()
        let (session, events) = fixture.session()
        session.watch(ids: ["a", "b", "c"], generation: 4)
        fixture.source.settle(0, subscribed: true)
        fixture.source.settle(1, subscribed: false)
        #expect(events.events == ["unavailable 4"])
        #expect(fixture.source.released.sorted() == ["job:a", "job:c"])
        fixture.source.settle(2, subscribed: true)
        fixture.registry.tell(.changed, about: "job:a")
        #expect(events.events == ["unavailable 4"], "nothing more of that watch")
        #expect(fixture.registry.watchedJobCount == 0)
    }

    @Test("several watched jobs, one subscription broken: one lost event, and the others released")
    func severalJobsLost() {
        let fixture = Fixture()
        let (session, events) = fixture.session()
        session.watch(ids: ["a", "b"], generation: 4)
        fixture.source.settle(0, subscribed: true)
        fixture.source.settle(1, subscribed: true)
        fixture.registry.broken("job:a")
        fixture.registry.broken("job:b")
        #expect(events.events == ["ready 4", "lost 4"])
        #expect(fixture.source.released == ["job:b"])
    }

    @Test("a list read: one HMGET per job sent at once; replies in any order reach their items; a failure is reported once all are in")
    func listRead() {
        let fixture = Fixture()
        let (session, delegate) = fixture.session()
        session.readList(ids: ["a", "b", "c"], caller: nil, held: false)
        #expect(fixture.router.sent == ["job:a", "job:b", "job:c"])
        fixture.router.answer(2, .record(status: "pending"))
        fixture.router.answer(0, .record(status: nil))
        #expect(delegate.events == ["item 2 found", "item 0 notFound"])
        fixture.router.answer(1, .failure)
        #expect(delegate.events == ["item 2 found", "item 0 notFound", "list unavailable"])
        session.readList(ids: ["d"], caller: nil, held: false)
        fixture.router.answer(3, .wrongType)
        #expect(delegate.events.suffix(2) == ["item 0 broken", "list complete"])
    }

    @Test("a closed session's list read reports nothing")
    func listReadClosed() {
        let fixture = Fixture()
        let (session, delegate) = fixture.session()
        session.readList(ids: ["a", "b"], caller: nil, held: false)
        fixture.router.answer(0, .record(status: "pending"))
        session.close()
        fixture.router.answer(1, .record(status: "pending"))
        #expect(delegate.events == ["item 0 found"])
    }

    @Test("a held list answers from the book the jobs whose subscription shows them unchanged, and reads the rest")
    func heldListFromBook() {
        let fixture = Fixture()
        let (session, delegate) = fixture.session()
        fixture.book.opened("job:a")
        fixture.book.opened("job:b")
        session.readList(ids: ["a", "b", "c"], caller: nil, held: true)
        fixture.router.answer(0, .record(status: "pending", version: 1))
        fixture.router.answer(1, .record(status: "pending", version: 1))
        fixture.router.answer(2, .record(status: "pending", version: 1))
        #expect(fixture.book.recordCount == 2, "c is not subscribed: not kept")
        session.readList(ids: ["a", "b", "c"], caller: nil, held: true)
        #expect(fixture.router.sent == ["job:a", "job:b", "job:c", "job:c"])
        fixture.router.answer(3, .record(status: "pending", version: 1))
        #expect(delegate.events.suffix(4) == ["item 0 found", "item 1 found", "item 2 found", "list complete"])
        fixture.book.announced("job:a", version: 2)
        session.readList(ids: ["a", "b", "c"], caller: nil, held: true)
        #expect(fixture.router.sent.suffix(2) == ["job:a", "job:c"], "a changed")
        fixture.router.answer(4, .record(status: "processed", version: 2))
        fixture.router.answer(5, .record(status: "pending", version: 1))
        session.readList(ids: ["a", "b"], caller: nil, held: false)
        #expect(fixture.router.sent.suffix(2) == ["job:a", "job:b"], "a read a client takes as final reads everything")
        print("held list of 3 (2 subscribed), 3 reads: \(fixture.router.sent.count - 2) HMGETs instead of 9")
    }

    @Test("a read older than an announced version is read again, at most staleRereads times")
    func staleRead() {
        let fixture = Fixture()
        let (session, delegate) = fixture.session()
        fixture.book.opened("job:a")
        fixture.book.announced("job:a", version: 3)
        session.readList(ids: ["a"], caller: nil, held: true)
        fixture.router.answer(0, .record(status: "pending", version: 2))
        #expect(fixture.router.sent == ["job:a", "job:a"])
        fixture.router.answer(1, .record(status: "pending", version: 3))
        #expect(delegate.events == ["item 0 found", "list complete"])
        #expect(fixture.book.recordCount == 1)
        fixture.book.announced("job:a", version: 5)
        session.readList(ids: ["a"], caller: nil, held: true)
        for index in 2...(2 + RedisJobSession.staleRereads) {
            fixture.router.answer(index, .record(status: "pending", version: 4))
        }
        #expect(fixture.router.sent.count == 3 + RedisJobSession.staleRereads, "then the read is taken")
        #expect(delegate.events.suffix(2) == ["item 0 found", "list complete"])
        #expect(fixture.book.recordCount == 0, "an older read is never kept")
    }

    @Test("a kept record answers for JobVersionBook.maximumAge at most: then the job is read again (an expiry or a DEL publishes nothing)")
    func keptRecordAges() {
        let fixture = Fixture()
        let (session, _) = fixture.session()
        fixture.book.opened("job:a")
        session.readList(ids: ["a"], caller: nil, held: true)
        fixture.router.answer(0, .record(status: "pending", version: 1))
        let now = NIODeadline.now()
        #expect(fixture.book.record(of: "job:a", now: now + JobVersionBook.maximumAge - .seconds(1)) != nil)
        #expect(fixture.book.record(of: "job:a", now: now + JobVersionBook.maximumAge + .seconds(1)) == nil)
        print("a kept record answers held lists for \(JobVersionBook.maximumAge.nanoseconds / 1_000_000_000) s, then is read again")
    }

    @Test("a read sent before the subscription broke is not kept, even once it is back")
    func readAcrossBreak() {
        let fixture = Fixture()
        let (session, _) = fixture.session()
        fixture.book.opened("job:a")
        session.readList(ids: ["a"], caller: nil, held: true)
        fixture.book.closed("job:a")
        fixture.book.opened("job:a")
        fixture.router.answer(0, .record(status: "pending", version: 1))
        #expect(fixture.book.recordCount == 0)
    }

    @Test("a closed session hears nothing more")
    func closedSession() {
        let fixture = Fixture()
        let (session, events) = fixture.session()
        session.watch(ids: ["a"], generation: 1)
        session.close()
        fixture.source.settle(0, subscribed: true)
        #expect(events.events.isEmpty)
        #expect(fixture.source.released == ["job:a"])
    }
}

/// A registry on an embedded loop, its fake source, and a store to make sessions from.
private struct Fixture {
    let loop = EmbeddedEventLoop()
    let source = RecordingSource()
    let registry: JobWatchRegistry
    let book = JobVersionBook()
    let store: RedisJobStore
    let router: ScriptedRouter

    init() {
        self.registry = JobWatchRegistry(source: self.source, eventLoop: self.loop)
        self.router = ScriptedRouter(eventLoop: self.loop)
        self.store = RedisJobStore(router: self.router, registry: self.registry, book: self.book, keyPrefix: "job:")
    }

    func session() -> (any JobStoreSession, RecordingDelegate) {
        let delegate = RecordingDelegate()
        return (self.store.makeSession(delegate: delegate), delegate)
    }
}

private final class RecordingSource: SubscriptionSource, @unchecked Sendable {
    private(set) var retained: [String] = []
    private(set) var released: [String] = []
    private var readies: [@Sendable (Bool) -> Void] = []

    func retain(_ key: String, from eventLoop: any EventLoop, ready: @escaping @Sendable (Bool) -> Void) {
        self.retained.append(key)
        self.readies.append(ready)
    }

    func release(_ key: String, from eventLoop: any EventLoop) {
        self.released.append(key)
    }

    /// Answers the `index`-th retain.
    func settle(_ index: Int, subscribed: Bool) {
        self.readies[index](subscribed)
    }
}

private final class RecordingDelegate: JobStoreDelegate {
    private(set) var events: [String] = []

    func recordRead(_ outcome: JobReadOutcome) {}
    func recordUnavailable(_ failure: JobStoreFailure) {}
    func probed(_ health: StoreHealth) {}

    func listItemRead(at index: Int, _ outcome: JobReadOutcome) {
        switch outcome {
        case .found: self.events.append("item \(index) found")
        case .notFound: self.events.append("item \(index) notFound")
        case .notModified: self.events.append("item \(index) notModified")
        case .contractViolation: self.events.append("item \(index) broken")
        }
    }

    func listRead(failure: JobStoreFailure?) {
        self.events.append(failure == nil ? "list complete" : "list unavailable")
    }

    func watchEvent(_ event: JobWatchEvent, generation: UInt64) {
        self.events.append("\(event) \(generation)")
    }
}

/// A router that keeps every keyed command and answers it when the test says.
private final class ScriptedRouter: RedisRouter {
    enum Answer {
        /// An HMGET reply whose status field is `status` (nil: no record), with `version`.
        case record(status: String?, version: Int? = nil)
        case wrongType
        case failure
    }

    let eventLoop: any EventLoop
    var isReady: Bool { true }
    private(set) var sent: [String] = []
    private var receivers: [any RedisReplyReceiver] = []

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func send(key: UnsafeRawBufferPointer, readOnly: Bool, to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        self.sent.append(String(decoding: key, as: UTF8.self))
        self.receivers.append(receiver)
    }

    func send(to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        receiver.fail(.unavailable("not used"))
    }

    /// Answers the `index`-th keyed command.
    func answer(_ index: Int, _ answer: Answer) {
        let receiver = self.receivers[index]
        switch answer {
        case .failure:
            receiver.fail(.connectionLost)
        case .wrongType:
            Self.withReply("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n") { receiver.receive($0) }
        case .record(let status, let version):
            // HMGET's fields: status, eta, status_code, links, response_data, error, owner, version, created_at.
            var text = "*9\r\n"
            if let status {
                text += "$\(status.utf8.count)\r\n\(status)\r\n$24\r\n2026-01-01T00:00:00.000Z\r\n"
            } else {
                text += "$-1\r\n$-1\r\n"
            }
            if status == "processed" {
                text += "$3\r\n200\r\n$2\r\n[]\r\n" + String(repeating: "$-1\r\n", count: 3)
            } else {
                text += String(repeating: "$-1\r\n", count: 5)
            }
            let versionText = version.map { "\($0)" }
            text += versionText.map { "$\($0.utf8.count)\r\n\($0)\r\n" } ?? "$-1\r\n"
            text += "$-1\r\n"
            Self.withReply(text) { receiver.receive($0) }
        }
    }

    private static func withReply(_ text: String, _ body: (RedisReply) -> Void) {
        let reader = RedisReplyReader()
        let count = try? { () throws(RedisError) -> Int in
            reader.feed(ByteBuffer(string: text))
            return try reader.drainReplies(body)
        }()
        #expect(count == 1, "not one whole reply: \(text)")
    }

    func start() -> EventLoopFuture<Void> { self.eventLoop.makeSucceededVoidFuture() }
    func shutdown() -> EventLoopFuture<Void> { self.eventLoop.makeSucceededVoidFuture() }
}
