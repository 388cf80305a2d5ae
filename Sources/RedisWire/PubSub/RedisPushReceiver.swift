/// The party receiving Pub/Sub messages on a subscriber connection.
///
/// Redis sends `message` pushes unprompted, interleaved with the replies to `SUBSCRIBE` and
/// `UNSUBSCRIBE`; a connection created with a push receiver routes them here instead of matching
/// them to a command. Called on the connection's event loop; the views are only valid during the
/// call.
public protocol RedisPushReceiver: AnyObject {
    func receiveMessage(channel: RedisReply, payload: RedisReply)
}
