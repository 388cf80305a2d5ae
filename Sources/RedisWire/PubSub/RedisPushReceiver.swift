/// The party receiving Pub/Sub pushes on a subscriber connection.
///
/// Redis sends messages unprompted, interleaved with the replies to `SUBSCRIBE` and
/// `UNSUBSCRIBE`; a connection created with a push receiver routes them here (typed once, as
/// `PubSubEvent`) instead of matching them to a command. So does an unsubscription no command asked
/// for (a sharded channel whose slot moved away). Called on the connection's event loop; the
/// event's views are only valid during the call.
public protocol RedisPushReceiver: AnyObject {
    func receive(_ event: PubSubEvent)
}
