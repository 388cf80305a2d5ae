import JobStatusCore
import NIOCore

/// The watches of one event loop, by job key.
///
/// The loop holds one interest per watched job in the `SubscriptionSource` (the instance's
/// `SubscriptionHub`), however many of its sessions watch that job, and fans every change out to
/// them. Every watch carries its session's generation and every interest its own attempt number,
/// so an answer that arrives late — a subscription confirmed after its job was released and
/// watched again, an event for a watch that was replaced — can never settle a newer one.
final class JobWatchRegistry {
    private struct Watcher {
        let session: RedisJobSession
        let generation: UInt64
    }

    private struct Entry {
        var watchers: [ObjectIdentifier: Watcher] = [:]
        /// The interest in the source this entry holds; a confirmation for another is stale.
        let attempt: UInt64
        var subscribed = false
    }

    private let source: any SubscriptionSource
    private let eventLoop: any EventLoop
    private var entries: [String: Entry] = [:]
    private var attempts: UInt64 = 0

    init(source: any SubscriptionSource, eventLoop: any EventLoop) {
        self.source = source
        self.eventLoop = eventLoop
    }

    /// The number of jobs this loop watches (for tests and diagnostics).
    var watchedJobCount: Int { self.entries.count }

    /// Starts feeding `session` with the events of `key`; `.ready` or `.unavailable` follows,
    /// possibly during this call.
    func watch(_ key: String, _ session: RedisJobSession, generation: UInt64) {
        let watcher = Watcher(session: session, generation: generation)
        if var entry = self.entries[key] {
            entry.watchers[ObjectIdentifier(session)] = watcher
            self.entries[key] = entry
            if entry.subscribed {
                session.watchEvent(.ready, generation: generation)
            }
            return
        }
        self.attempts += 1
        let attempt = self.attempts
        var entry = Entry(attempt: attempt)
        entry.watchers[ObjectIdentifier(session)] = watcher
        self.entries[key] = entry
        let registry = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.source.retain(key, from: self.eventLoop) { subscribed in
            registry.value.settled(key, attempt: attempt, subscribed: subscribed)
        }
    }

    /// Stops feeding `session` (if it still watches `key` with `generation`); the last watcher of a
    /// job releases the interest.
    func unwatch(_ key: String, _ session: RedisJobSession, generation: UInt64) {
        let id = ObjectIdentifier(session)
        guard var entry = self.entries[key], entry.watchers[id]?.generation == generation else { return }
        entry.watchers[id] = nil
        if entry.watchers.isEmpty {
            self.entries[key] = nil
            self.source.release(key, from: self.eventLoop)
        } else {
            self.entries[key] = entry
        }
    }

    /// A write to `key` was published (`.changed`), or its subscription is back after an
    /// interruption (`.resumed`).
    func tell(_ event: JobWatchEvent, about key: String) {
        guard let entry = self.entries[key], entry.subscribed else { return }
        for watcher in entry.watchers.values {
            watcher.session.watchEvent(event, generation: watcher.generation)
        }
    }

    /// The subscription of `key` broke for good: its watches are over.
    func broken(_ key: String) {
        guard let entry = self.entries.removeValue(forKey: key) else { return }
        for watcher in entry.watchers.values {
            watcher.session.watchEvent(entry.subscribed ? .lost : .unavailable, generation: watcher.generation)
        }
    }

    private func settled(_ key: String, attempt: UInt64, subscribed: Bool) {
        guard var entry = self.entries[key], entry.attempt == attempt, !entry.subscribed else { return }
        if subscribed {
            entry.subscribed = true
            self.entries[key] = entry
        } else {
            // The source kept nothing: forget the job, so the next watcher asks again.
            self.entries[key] = nil
        }
        for watcher in entry.watchers.values {
            watcher.session.watchEvent(subscribed ? .ready : .unavailable, generation: watcher.generation)
        }
    }
}
