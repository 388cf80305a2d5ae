/// A Pub/Sub reply or push, parsed once: classic (`message`, `subscribe`, `unsubscribe`) and
/// sharded (`smessage`, `ssubscribe`, `sunsubscribe`) framing alike, and the `pong` a subscribed
/// RESP2 connection answers `PING` with. The views borrow the reply: valid only while it is
/// handled.
public enum PubSubEvent {
    case message(channel: RedisReply, payload: RedisReply, sharded: Bool)
    /// The confirmation of a (sharded) subscription: the channel, and how many the connection has.
    case subscribed(channel: RedisReply, count: Int64, sharded: Bool)
    /// The end of a subscription: asked for, or (sharded) because the channel's slot moved away.
    case unsubscribed(channel: RedisReply, count: Int64, sharded: Bool)
    case pong

    /// The event `reply` is; nil when it is no Pub/Sub reply.
    public init?(_ reply: RedisReply) {
        guard reply.kind == .array, reply.count == 2 || reply.count == 3, reply[0].kind == .bulkString else { return nil }
        let kind = reply[0]
        if reply.count == 2 {
            guard kind.bytesEqual("pong") else { return nil }
            self = .pong
            return
        }
        let channel = reply[1]
        let last = reply[2]
        if last.kind == .integer {
            switch true {
            case kind.bytesEqual("subscribe"): self = .subscribed(channel: channel, count: last.integer, sharded: false)
            case kind.bytesEqual("ssubscribe"): self = .subscribed(channel: channel, count: last.integer, sharded: true)
            case kind.bytesEqual("unsubscribe"): self = .unsubscribed(channel: channel, count: last.integer, sharded: false)
            case kind.bytesEqual("sunsubscribe"): self = .unsubscribed(channel: channel, count: last.integer, sharded: true)
            default: return nil
            }
            return
        }
        switch true {
        case kind.bytesEqual("message"): self = .message(channel: channel, payload: last, sharded: false)
        case kind.bytesEqual("smessage"): self = .message(channel: channel, payload: last, sharded: true)
        default: return nil
        }
    }
}
