/// A `MOVED <slot> <host:port>` or `ASK <slot> <host:port>` error reply, parsed.
enum ClusterRedirection: Equatable {
    case moved(slot: Int, node: RedisNode)
    case ask(node: RedisNode)

    init?(_ reply: RedisReply) {
        let code = reply.errorCode
        guard code == .moved || code == .ask else { return nil }
        let parts = reply.string.split(separator: " ")
        guard parts.count == 3, let slot = Int(parts[1]), let node = RedisNode(redirection: parts[2]) else { return nil }
        self = code == .moved ? .moved(slot: slot, node: node) : .ask(node: node)
    }
}
