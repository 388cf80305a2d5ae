import JobStatusCore
import NIOCore

/// What the connections of one event loop share: the loop's job store and per-loop scratch
/// state. Only ever touched on that loop, so nothing here needs a lock.
final class LoopResources {
    /// The loop's way to the job records: its own Redis connection (or a cluster's nodes) and
    /// its share of the instance's subscriptions.
    let store: any JobStore
    let requestIDs = RequestIDGenerator()
    let metrics = RequestMetrics()
    let dates = HTTPDateCache()
    /// Where response bodies are written before they are framed; reused by every request.
    var bodyScratch: ByteBuffer
    /// Where whole responses are framed, head and body (`HTTPResponseComposer`). The buffer an
    /// answer hands to its channel shares this storage: a socket that takes the answer at once
    /// gives it back, so the next answer is framed without an allocation; one still queued keeps
    /// it, and the next answer is framed in new storage (copy on write, never an overwrite).
    var responseScratch: ByteBuffer

    init(store: any JobStore) {
        self.store = store
        self.bodyScratch = ByteBufferAllocator().buffer(capacity: 4096)
        self.responseScratch = ByteBufferAllocator().buffer(capacity: 4096)
    }
}
