import NIOCore

/// Where an event loop's `JobWatchRegistry` gets its subscriptions: the instance's
/// `SubscriptionHub`, or a stand-in in tests and fuzzing.
protocol SubscriptionSource: Sendable {
    /// Adds one interest of `eventLoop` in `key`; `ready` runs on `eventLoop` once the
    /// subscription is confirmed (true) or cannot be made (false).
    func retain(_ key: String, from eventLoop: any EventLoop, ready: @escaping @Sendable (Bool) -> Void)

    /// Drops one interest of `eventLoop` in `key`.
    func release(_ key: String, from eventLoop: any EventLoop)
}
