import NIOCore
import RedisWire

/// What the connections of one event loop share: the loop's Redis connection and per-loop
/// scratch state. Only ever touched on that loop, so nothing here needs a lock.
final class LoopResources {
    /// The loop's way to Redis: one connection, or a cluster's nodes.
    let redis: any RedisRouter
    /// The long polls and event streams of this loop, by job.
    let watches: JobWatchRegistry
    let requestIDs = RequestIDGenerator()
    let metrics = RequestMetrics()
    let dates = HTTPDateCache()
    /// Where response bodies are written before they are framed; reused by every request.
    var bodyScratch: ByteBuffer

    init(redis: any RedisRouter, watches: JobWatchRegistry) {
        self.redis = redis
        self.watches = watches
        self.bodyScratch = ByteBufferAllocator().buffer(capacity: 4096)
    }
}
