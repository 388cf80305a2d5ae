import NIOCore
import Testing

@testable import RedisWire

/// Pub/Sub replies and pushes, typed once from the bytes Redis sends.
@Suite("Pub/Sub events")
struct PubSubEventTests {
    /// The event each reply of `wire` is, as a line; "none" for a reply that is no Pub/Sub event.
    static func events(_ wire: String) throws -> [String] {
        let reader = RedisReplyReader()
        reader.feed(ByteBuffer(string: wire))
        var lines: [String] = []
        _ = try reader.drainReplies { reply in
            switch PubSubEvent(reply) {
            case .message(let channel, let payload, let sharded)?:
                lines.append("\(sharded ? "sharded " : "")message \(channel.string): \(payload.string)")
            case .subscribed(let channel, let count, let sharded)?:
                lines.append("\(sharded ? "sharded " : "")subscribed \(channel.string) (\(count))")
            case .unsubscribed(let channel, let count, let sharded)?:
                lines.append("\(sharded ? "sharded " : "")unsubscribed \(channel.string) (\(count))")
            case .pong?:
                lines.append("pong")
            case nil:
                lines.append("none")
            }
        }
        return lines
    }

    static func bulk(_ text: String) -> String { "$\(text.utf8.count)\r\n\(text)\r\n" }
    static func array(_ elements: String...) -> String { "*\(elements.count)\r\n" + elements.joined() }

    @Test("classic and sharded framing, the RESP2 pong, and replies that are not Pub/Sub")
    func framing() throws {
        let wire = [
            Self.array(Self.bulk("subscribe"), Self.bulk("job:a"), ":1\r\n"),
            Self.array(Self.bulk("message"), Self.bulk("job:a"), Self.bulk("2 processed")),
            Self.array(Self.bulk("ssubscribe"), Self.bulk("job:b"), ":1\r\n"),
            Self.array(Self.bulk("smessage"), Self.bulk("job:b"), Self.bulk("3 pending")),
            Self.array(Self.bulk("sunsubscribe"), Self.bulk("job:b"), ":0\r\n"),
            Self.array(Self.bulk("unsubscribe"), Self.bulk("job:a"), ":0\r\n"),
            Self.array(Self.bulk("pong"), Self.bulk("")),
            Self.array(Self.bulk("message"), Self.bulk("job:a")),
            Self.array(Self.bulk("status"), Self.bulk("eta"), Self.bulk("x")),
            Self.array(Self.bulk("subscribe"), Self.bulk("job:a"), Self.bulk("not a count")),
            "+PONG\r\n", ":3\r\n",
        ].joined()
        #expect(try Self.events(wire) == [
            "subscribed job:a (1)", "message job:a: 2 processed", "sharded subscribed job:b (1)", "sharded message job:b: 3 pending",
            "sharded unsubscribed job:b (0)", "unsubscribed job:a (0)", "pong", "none", "none", "none", "none", "none",
        ])
    }
}
