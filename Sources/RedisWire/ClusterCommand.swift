import NIOCore

/// One command sent through a `RedisClusterRouter`: keeps its encoded bytes so that a `MOVED` or
/// `ASK` redirection can send it again to the right node, and hands every other reply to the
/// original receiver.
final class ClusterCommand: RedisReplyReceiver {
    let receiver: any RedisReplyReceiver
    let slot: Int
    let readOnly: Bool
    var bytes: ByteBuffer
    var redirections = 0
    private unowned let router: RedisClusterRouter

    init(router: RedisClusterRouter, receiver: any RedisReplyReceiver, slot: Int, readOnly: Bool, bytes: ByteBuffer) {
        self.router = router
        self.receiver = receiver
        self.slot = slot
        self.readOnly = readOnly
        self.bytes = bytes
    }

    func receive(_ reply: RedisReply) {
        guard reply.kind == .error, let redirection = Redirection(reply.bytes) else {
            self.receiver.receive(reply)
            return
        }
        guard self.redirections < self.router.maximumRedirections else {
            self.receiver.fail(.server("too many cluster redirections (last: \(reply.string))"))
            return
        }
        self.redirections += 1
        switch redirection {
        case .moved(let slot, let node):
            self.router.moved(self, slot: slot, to: node)
        case .ask(let node):
            self.router.ask(self, at: node)
        }
    }

    func fail(_ error: RedisError) {
        self.router.nodeFailed()
        self.receiver.fail(error)
    }

    /// `MOVED <slot> <host:port>` or `ASK <slot> <host:port>`.
    private enum Redirection {
        case moved(slot: Int, node: ClusterNode)
        case ask(node: ClusterNode)

        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.starts(with: "MOVED ".utf8) || bytes.starts(with: "ASK ".utf8) else { return nil }
            let parts = String(decoding: bytes, as: UTF8.self).split(separator: " ")
            guard parts.count == 3, let slot = Int(parts[1]), let node = ClusterNode(redirection: parts[2]) else { return nil }
            self = parts[0] == "MOVED" ? .moved(slot: slot, node: node) : .ask(node: node)
        }
    }
}

/// Swallows the `+OK` of the `ASKING` that precedes a command sent after an `ASK` redirection.
final class IgnoredReply: RedisReplyReceiver {
    func receive(_ reply: RedisReply) {}
    func fail(_ error: RedisError) {}
}
