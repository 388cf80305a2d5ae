import NIOCore

/// Turns one reply into a future's result: the form used off the hot path, where an owned copy
/// of the reply is wanted anyway. An error reply fails the future with `RedisError.server`.
final class PromiseReplyReceiver: RedisReplyReceiver {
    private let promise: EventLoopPromise<RESPValue>

    init(_ promise: EventLoopPromise<RESPValue>) {
        self.promise = promise
    }

    func receive(_ reply: RedisReply) {
        if reply.kind == .error {
            self.promise.fail(RedisError.server(RedisErrorReply(reply.string)))
        } else {
            self.promise.succeed(reply.value)
        }
    }

    func fail(_ error: RedisError) {
        self.promise.fail(error)
    }
}
