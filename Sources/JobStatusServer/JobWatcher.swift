/// A request waiting for a job to change (a long poll or an event stream).
protocol JobWatcher: AnyObject {
    /// The subscription that feeds `jobChanged` is in place (true), or cannot be made (false:
    /// answer from a plain read instead of waiting). May be called during `watch`.
    func watchReady(_ subscribed: Bool)

    /// A write to the job was published: read the record again.
    func jobChanged()

    /// The subscriber connection was lost: the watch is gone and nothing can be trusted; read the
    /// record again (and subscribe again, if still waiting).
    func subscriptionLost()
}
