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
        first.watch(id: "a", generation: 1)
        second.watch(id: "a", generation: 7)
        #expect(fixture.source.retained == ["job:a"])
        fixture.source.settle(0, subscribed: true)
        #expect(firstEvents.events == ["ready 1"])
        #expect(secondEvents.events == ["ready 7"])
        fixture.registry.changed("job:a")
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
        first.watch(id: "a", generation: 1)
        fixture.source.settle(0, subscribed: true)
        let (second, events) = fixture.session()
        second.watch(id: "a", generation: 2)
        #expect(events.events == ["ready 2"])
        #expect(fixture.source.retained.count == 1)
    }

    @Test("race: a confirmation of a released interest cannot settle the next one")
    func lateConfirmation() {
        let fixture = Fixture()
        let (session, events) = fixture.session()
        session.watch(id: "a", generation: 1)
        session.endWatch()
        session.watch(id: "a", generation: 2)
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
        session.watch(id: "a", generation: 1)
        fixture.source.settle(0, subscribed: false)
        #expect(events.events == ["unavailable 1"])
        session.endWatch()
        #expect(fixture.source.released.isEmpty)
        #expect(fixture.registry.watchedJobCount == 0)
    }

    @Test("the source loses everything: confirmed watches are lost, pending ones unavailable, late answers ignored")
    func lostAll() {
        let fixture = Fixture()
        let (confirmed, confirmedEvents) = fixture.session()
        let (pending, pendingEvents) = fixture.session()
        confirmed.watch(id: "a", generation: 1)
        fixture.source.settle(0, subscribed: true)
        pending.watch(id: "b", generation: 2)
        fixture.registry.lostAll()
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
        session.watch(id: "a", generation: 1)
        fixture.source.settle(0, subscribed: true)
        session.watch(id: "b", generation: 2)
        fixture.registry.changed("job:a")
        #expect(events.events == ["ready 1"])
        #expect(fixture.source.released == ["job:a"])
    }

    @Test("a closed session hears nothing more")
    func closedSession() {
        let fixture = Fixture()
        let (session, events) = fixture.session()
        session.watch(id: "a", generation: 1)
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
    let store: RedisJobStore

    init() {
        self.registry = JobWatchRegistry(source: self.source, eventLoop: self.loop)
        self.store = RedisJobStore(router: UnusedRouter(eventLoop: self.loop), registry: self.registry, keyPrefix: "job:")
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

    func watchEvent(_ event: JobWatchEvent, generation: UInt64) {
        self.events.append("\(event) \(generation)")
    }
}

private final class UnusedRouter: RedisRouter {
    let eventLoop: any EventLoop
    var isReady: Bool { false }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func send(key: UnsafeRawBufferPointer, readOnly: Bool, to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        receiver.fail(.unavailable("not used"))
    }

    func send(to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        receiver.fail(.unavailable("not used"))
    }

    func start() -> EventLoopFuture<Void> { self.eventLoop.makeSucceededVoidFuture() }
    func shutdown() -> EventLoopFuture<Void> { self.eventLoop.makeSucceededVoidFuture() }
}
