/// The requests of one event loop that wait for jobs to change, by job key.
///
/// The loop holds one interest per watched job in the `SubscriptionHub`, however many of its
/// requests wait on that job, and fans every change out to them.
final class JobWatchRegistry {
    private struct Watch {
        var watchers: [ObjectIdentifier: any JobWatcher] = [:]
        var subscribed = false
    }

    private let hub: any SubscriptionSource
    private let eventLoop: any EventLoop
    private var watches: [String: Watch] = [:]

    init(hub: any SubscriptionSource, eventLoop: any EventLoop) {
        self.hub = hub
        self.eventLoop = eventLoop
    }

    /// The number of requests waiting on this loop.
    var watcherCount: Int { self.watches.values.reduce(0) { $0 + $1.watchers.count } }

    /// Starts feeding `watcher` with changes of `key`; `watcher.watchReady` follows.
    func watch(_ key: String, _ watcher: any JobWatcher) {
        RequestMetrics.waiters.increment()
        if var watch = self.watches[key] {
            watch.watchers[ObjectIdentifier(watcher)] = watcher
            self.watches[key] = watch
            if watch.subscribed { watcher.watchReady(true) }
            return
        }
        var watch = Watch()
        watch.watchers[ObjectIdentifier(watcher)] = watcher
        self.watches[key] = watch
        let loop = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.hub.retain(key, from: self.eventLoop) { subscribed in
            loop.value.subscriptionSettled(key, subscribed: subscribed)
        }
    }

    /// Stops feeding `watcher`; the last watcher of a job releases the subscription.
    func unwatch(_ key: String, _ watcher: any JobWatcher) {
        guard var watch = self.watches[key], watch.watchers.removeValue(forKey: ObjectIdentifier(watcher)) != nil else { return }
        RequestMetrics.waiters.decrement()
        if watch.watchers.isEmpty {
            self.watches[key] = nil
            self.hub.release(key, from: self.eventLoop)
        } else {
            self.watches[key] = watch
        }
    }

    /// A change of `key` was published, or (nil) the hub lost its connection.
    func changed(_ key: String?) {
        guard let key else {
            // Every subscription is gone: forget them all, and let every watcher re-read.
            let all = self.watches.values.flatMap { $0.watchers.values }
            self.watches = [:]
            RequestMetrics.waiters.decrement(by: Double(all.count))
            for watcher in all { watcher.subscriptionLost() }
            return
        }
        guard let watch = self.watches[key] else { return }
        for watcher in watch.watchers.values {
            watcher.jobChanged()
        }
    }

    private func subscriptionSettled(_ key: String, subscribed: Bool) {
        guard var watch = self.watches[key] else { return }
        if subscribed {
            watch.subscribed = true
            self.watches[key] = watch
        } else {
            // The hub kept nothing: forget the job, so the next watcher asks again.
            self.watches[key] = nil
            RequestMetrics.waiters.decrement(by: Double(watch.watchers.count))
        }
        for watcher in watch.watchers.values {
            watcher.watchReady(subscribed)
        }
    }
}

import NIOCore
