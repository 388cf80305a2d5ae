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

    @Test("after the subscriber's connection is back, a new watch subscribes again and hears changes")
    func resubscribe() async throws {
        let fixture = try await Fixture()
        let server = fixture.server
        try await fixture.on { $0.watch(ids: ["pending"], generation: 1) }
        #expect(await fixture.events(1) == ["watch g1: ready"])
        server.dropConnections()
        #expect(await fixture.events(2).last == "watch g1: lost")
        // Both connections back (the loop's reads and the subscriber) before watching again.
        let started = ContinuousClock.now
        while server.openConnections < 2 && ContinuousClock.now - started < .seconds(5) {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await fixture.on { $0.watch(ids: ["pending"], generation: 2) }
        #expect(await fixture.events(3).last == "watch g2: ready")
        #expect(server.received("SUBSCRIBE").count == 2, "subscribed again on the new connection")
        server.publish("2 processed", on: "job:pending")
        #expect(await fixture.events(4).last == "watch g2: changed")
        try await fixture.shutdown()
    }
}
