/// The party waiting for one command's reply.
///
/// A class-bound protocol rather than a closure: the front's per-connection HTTP handler receives
/// its own replies, so queuing a command costs no allocation. Both methods are called on the
/// connection's event loop, exactly once per command, possibly before `send` returns.
public protocol RedisReplyReceiver: AnyObject {
    /// The reply, error replies included. The view is only valid during this call.
    func receive(_ reply: RedisReply)

    /// The command got no reply.
    func fail(_ error: RedisError)
}
