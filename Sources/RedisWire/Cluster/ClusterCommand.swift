import NIOCore

/// One command sent through a `RedisClusterRouter`: keeps its encoded bytes so that a `MOVED` or
/// `ASK` redirection can send it again to the right node, and hands every other reply to the
/// original receiver.
///
/// A read sent to a replica that fails (`ReplicaRotation`) is sent once more, to the primary.
final class ClusterCommand: RedisReplyReceiver {
    let receiver: any RedisReplyReceiver
    let slot: Int
    let readOnly: Bool
    var bytes: ByteBuffer
    var redirections = 0
    /// The replica this read went to, until it is retried on the primary; nil: the primary.
    var replica: RedisNode?
    private unowned let router: RedisClusterRouter

    init(router: RedisClusterRouter, receiver: any RedisReplyReceiver, slot: Int, readOnly: Bool, bytes: ByteBuffer, replica: RedisNode?) {
        self.router = router
        self.replica = replica
        self.receiver = receiver
        self.slot = slot
        self.readOnly = readOnly
        self.bytes = bytes
    }

    func receive(_ reply: RedisReply) {
        if let replica = self.replica, ReplicaRotation.cannotServe(reply) {
            self.replica = nil
            self.router.replicaFailed(self, replica: replica, reason: reply.string)
            return
        }
        guard let redirection = ClusterRedirection(reply) else {
            self.receiver.receive(reply)
            return
        }
        self.replica = nil
        guard self.redirections < self.router.maximumRedirections else {
            // The last redirection, as Redis sent it (its code first), with why it is not followed.
            self.receiver.fail(.server(RedisErrorReply("\(reply.string) (not followed: too many cluster redirections)")))
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
        if let replica = self.replica {
            self.replica = nil
            self.router.replicaFailed(self, replica: replica, reason: error.description)
            return
        }
        self.router.nodeFailed()
        self.receiver.fail(error)
    }
}

/// Swallows the `+OK` of the `ASKING` that precedes a command sent after an `ASK` redirection.
final class IgnoredReply: RedisReplyReceiver {
    func receive(_ reply: RedisReply) {}
    func fail(_ error: RedisError) {}
}
