import NIOConcurrencyHelpers
import NIOCore
import RedisTestSupport
import Testing

@testable import RedisWire

/// A subscriber connection against a scripted server: classic and sharded messages reach its
/// push receiver typed, between the replies of its commands.
@Suite("Pub/Sub on a scripted server")
struct ScriptedPubSubTests {
    typealias Fixture = ScriptedServerTests

    final class Pushes: RedisPushReceiver, Sendable {
        private let lines = NIOLockedValueBox<[String]>([])

        var received: [String] { self.lines.withLockedValue { $0 } }

        func receive(_ event: PubSubEvent) {
            let line: String
            switch event {
            case .message(let channel, let payload, let sharded): line = "\(sharded ? "smessage" : "message") \(channel.string) \(payload.string)"
            case .unsubscribed(let channel, _, let sharded): line = "\(sharded ? "sunsubscribe" : "unsubscribe") \(channel.string)"
            case .subscribed, .pong: line = "unexpected"
            }
            self.lines.withLockedValue { $0.append(line) }
        }
    }

    @Test("messages of both framings reach the receiver; the subscription's confirmation stays the command's reply")
    func pushes() async throws {
        let redis = ScriptedRedis()
        let server = try await redis.server()
        let pushes = Pushes()
        let loop = redis.eventLoop
        let configuration = Fixture.connection(server.port)
        let connection = try await loop.flatSubmit {
            let connection = RedisConnection(eventLoop: loop, configuration: configuration, logger: Fixture.logger, pushReceiver: pushes)
            let bound = NIOLoopBound(connection, eventLoop: loop)
            return connection.start().map { bound }
        }.get()
        let subscribed = try await loop.flatSubmit { connection.value.send(["SUBSCRIBE", "job:a"]) }.get()
        #expect(subscribed.array?.first?.string == "subscribe", "the confirmation is the command's reply")
        server.publish("2 processed", on: "job:a")
        server.push(.array([.bulk("smessage"), .bulk("job:b"), .bulk("3 pending")]), toConnection: 1)
        _ = await Fixture.eventually { pushes.received.count == 2 }
        #expect(pushes.received == ["message job:a 2 processed", "smessage job:b 3 pending"])
        #expect(try await loop.flatSubmit { connection.value.send(["PING"]) }.get() == .simpleString("PONG"))
        #expect(server.acceptedConnections == 1, "no reset: the pushes were not taken for stray replies")
        try await loop.flatSubmit { connection.value.shutdown() }.get()
        try await redis.shutdown()
    }
}
