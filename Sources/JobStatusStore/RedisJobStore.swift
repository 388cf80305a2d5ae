public import JobStatusCore
import RedisWire

/// The job store of one event loop, on Redis: reads go to the loop's own router (one
/// connection, or a cluster's nodes), pipelined with every other read of the loop; watches go
/// through the loop's `JobWatchRegistry` to the instance's one subscriber connection.
public final class RedisJobStore: JobStore {
    let router: any RedisRouter
    let registry: JobWatchRegistry
    let book: JobVersionBook
    /// `jobs.key_prefix`, as bytes for the read path and as text for subscriptions.
    let keyPrefix: [UInt8]
    let keyPrefixText: String

    init(router: any RedisRouter, registry: JobWatchRegistry, book: JobVersionBook, keyPrefix: String) {
        self.router = router
        self.registry = registry
        self.book = book
        self.keyPrefix = Array(keyPrefix.utf8)
        self.keyPrefixText = keyPrefix
    }

    public func makeSession(delegate: any JobStoreDelegate) -> any JobStoreSession {
        RedisJobSession(store: self, delegate: delegate)
    }

    /// Whether this loop's connection to Redis (in a cluster: to every primary) accepts commands.
    public var isReady: Bool { self.router.isReady }

    /// The number of jobs this loop watches (for tests and diagnostics).
    public var watchedJobCount: Int { self.registry.watchedJobCount }
}
