/// The party receiving Pub/Sub pushes on a subscriber connection.
///
/// Redis sends messages unprompted, interleaved with the replies to `SUBSCRIBE` and
/// `UNSUBSCRIBE`; a connection created with a push receiver routes them here (typed once, as
/// `PubSubEvent`) instead of matching them to a command. (Subscriptions and unsubscriptions are the
/// replies of the commands that asked for them.) Called on the connection's event loop; the event's
/// views are only valid during the call.
public protocol RedisPushReceiver: AnyObject {
    func receive(_ event: PubSubEvent)
}
