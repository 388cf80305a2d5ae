import NIOPosix
import RedisTestSupport
import Testing

@testable import JobStatusStore

extension RedisJobStoreTests {
    @Test("a watch asked again within the linger finds its subscription in place; unwatched, it is dropped after the linger")
    func linger() async throws {
        let fixture = try await Fixture()
        let server = fixture.server
        try await fixture.on { $0.watch(ids: ["pending"], generation: 1) }
        #expect(await fixture.events(1) == ["watch g1: ready"])
        try await fixture.on { $0.endWatch() }
        try await fixture.on { $0.watch(ids: ["pending"], generation: 2) }
        #expect(await fixture.events(2).last == "watch g2: ready")
        #expect(server.received("SUBSCRIBE").count == 1, "the next long poll pays no SUBSCRIBE")
        try await fixture.on { $0.endWatch() }
        let released = ContinuousClock.now
        #expect(server.subscriptions == ["job:pending": 1], "it lingers")
        var dropped: Duration?
        while ContinuousClock.now - released < .seconds(6) {
            if server.subscriptions.isEmpty {
                dropped = ContinuousClock.now - released
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        print("unwatched subscription dropped \(dropped.map { "\($0)" } ?? "never") after its release (linger \(SubscriptionHub.linger))")
        #expect(dropped.map { $0 >= .milliseconds(1900) } == true)
        #expect(server.received("UNSUBSCRIBE") == [["UNSUBSCRIBE", "job:pending"]])
        try await fixture.shutdown()
    }

    @Test("the subscriber's connection drops: once it is back the watch is subscribed again, re-reads once, and hears changes")
    func resubscribe() async throws {
        let fixture = try await Fixture()
        let server = fixture.server
        try await fixture.on { $0.watch(ids: ["pending"], generation: 1) }
        #expect(await fixture.events(1) == ["watch g1: ready"])
        let dropped = ContinuousClock.now
        server.dropConnections()
        #expect(await fixture.events(2).last == "watch g1: resumed", "writes made meanwhile published to nobody: read once; the store's log:\n\(fixture.log.text)")
        print("watch made again and told to re-check \(ContinuousClock.now - dropped) after the subscriber's connection dropped")
        #expect(server.received("SUBSCRIBE").count == 2, "subscribed again on the new connection")
        #expect(server.subscriptions == ["job:pending": 1])
        server.publish("2 processed", on: "job:pending")
        #expect(await fixture.events(3).last == "watch g1: changed")
        #expect(fixture.recorder.lines.count == 3, "\(fixture.recorder.lines)")
        try await fixture.shutdown()
    }
}
