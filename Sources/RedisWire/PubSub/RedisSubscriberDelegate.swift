/// The party a `RedisSubscriber` reports to, on the subscriber's event loop.
public protocol RedisSubscriberDelegate: AnyObject {
    /// What became of `channel`'s subscription: `opened`, `failed`, `interrupted` or `forget`
    /// (never `subscribe`, `unsubscribe` or `none`, which the subscriber carries out itself).
    func subscription(of channel: String, _ action: SubscriptionStateMachine.Action)

    /// A message published on `channel`, classic or sharded. Both views borrow the push: valid
    /// only during the call.
    func message(on channel: RedisReply, _ payload: RedisReply)
}
