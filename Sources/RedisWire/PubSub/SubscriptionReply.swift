/// The receiver of one subscribe or unsubscribe command of a `RedisSubscriber`: which channel,
/// which generation, and what its reply means to the channel's state machine.
final class SubscriptionReply: RedisReplyReceiver {
    enum Kind {
        case subscribe
        case unsubscribe
    }

    let kind: Kind
    let channel: String
    let generation: UInt64
    private unowned let subscriber: RedisSubscriber

    init(_ kind: Kind, channel: String, generation: UInt64, subscriber: RedisSubscriber) {
        self.kind = kind
        self.channel = channel
        self.generation = generation
        self.subscriber = subscriber
    }

    /// Whether `event` is this command's reply rather than a push: Redis pushes `sunsubscribe`
    /// unprompted when a channel's slot moves away, and only the command waiting tells which.
    func answers(_ event: PubSubEvent) -> Bool {
        switch (self.kind, event) {
        case (.unsubscribe, .unsubscribed(let channel, _, _)), (.subscribe, .subscribed(let channel, _, _)):
            return channel.bytes.elementsEqual(self.channel.utf8)
        default:
            return false
        }
    }

    func receive(_ reply: RedisReply) {
        self.subscriber.replied(self, reply)
    }

    func fail(_ error: RedisError) {
        self.subscriber.failed(self, error)
    }
}
