import NIOCore
import Synchronization

/// Per-client limits of one instance: a token bucket of requests per client (`limits.rate`,
/// `limits.burst`) and a cap on the requests a client may have waiting at once
/// (`limits.max_waiters_per_client`).
///
/// A client is its authenticated identity, or its IP address when it has none. Shared by all
/// event loops behind one lock, held for a dictionary lookup and a little arithmetic.
///
/// Buckets live in two generations. A bucket nobody touched for a whole `refillWindow` is full
/// again, exactly as if it had never existed, so every window the older generation is dropped
/// and the newer one becomes the older: each request costs a lookup or two, and the table holds
/// only the clients seen in the last two windows. Under a flood of identities a generation is
/// also rotated when it reaches `maxBucketsPerGeneration`, which bounds memory at the price of
/// forgetting, early, how much of their burst the clients of the dropped generation had used.
final class ClientLimits: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilledAt: Int64
    }

    private struct State {
        var current: [String: Bucket] = [:]
        var previous: [String: Bucket] = [:]
        var rotatedAt: Int64
        var waiters: [String: Int] = [:]
    }

    /// The most buckets one generation holds (so at most twice this many in all).
    static let maxBucketsPerGeneration = 50_000

    private let rate: Double
    private let burst: Double
    private let maxWaiters: Int
    /// How long an untouched bucket takes to refill completely, in nanoseconds.
    private let refillWindow: Int64
    private let state: Mutex<State>

    init(rate: Int, burst: Int, maxWaitersPerClient: Int, now: NIODeadline = .now()) {
        self.rate = Double(rate)
        self.burst = Double(max(burst, 1))
        self.maxWaiters = maxWaitersPerClient
        self.refillWindow = rate > 0 ? max(1_000_000_000, Int64(self.burst / self.rate * 1e9)) : .max
        self.state = Mutex(State(rotatedAt: Int64(now.uptimeNanoseconds)))
    }

    /// Takes `cost` requests from `client`'s bucket (a job list costs one per id): nil when
    /// allowed, else the seconds until it would be. A cost above the burst needs a full bucket and
    /// leaves it in debt, so that it is possible at all and still charged in full.
    ///
    /// `now` is the request's own clock reading. Loops read their clocks before they take the
    /// lock, and a request planned again after waiting for the JWT keys keeps its first reading,
    /// so `now` may be earlier than the bucket's last refill: that refills nothing (time never
    /// runs backwards for a bucket).
    func admit(_ client: String, cost: Int = 1, now: NIODeadline) -> Int? {
        guard self.rate > 0 else { return nil }
        let now = Int64(now.uptimeNanoseconds)
        let (retryAfter, dropped) = self.state.withLock { state -> (Int?, [String: Bucket]) in
            var dropped: [String: Bucket] = [:]
            if now - state.rotatedAt >= self.refillWindow || state.current.count >= Self.maxBucketsPerGeneration {
                dropped = state.previous
                state.previous = state.current
                state.current = [:]
                state.rotatedAt = now
            }
            var bucket = state.current[client] ?? state.previous.removeValue(forKey: client) ?? Bucket(tokens: self.burst, refilledAt: now)
            let elapsed = Double(max(0, now - bucket.refilledAt)) / 1e9
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            bucket.refilledAt = max(bucket.refilledAt, now)
            let required = min(Double(cost), self.burst)
            guard bucket.tokens >= required else {
                state.current[client] = bucket
                return (max(1, Int(((required - bucket.tokens) / self.rate).rounded(.up))), dropped)
            }
            bucket.tokens -= Double(cost)
            state.current[client] = bucket
            return (nil, dropped)
        }
        // A dropped generation is freed here, outside the lock.
        withExtendedLifetime(dropped) {}
        return retryAfter
    }

    /// The buckets held (for tests and diagnostics).
    var bucketCount: Int {
        self.state.withLock { $0.current.count + $0.previous.count }
    }

    /// Counts one more waiting request of `client`; false when it already has the most allowed.
    func startWaiting(_ client: String) -> Bool {
        self.state.withLock { state in
            let current = state.waiters[client, default: 0]
            guard current < self.maxWaiters else { return false }
            state.waiters[client] = current + 1
            return true
        }
    }

    func stopWaiting(_ client: String) {
        self.state.withLock { state in
            let remaining = state.waiters[client, default: 1] - 1
            state.waiters[client] = remaining > 0 ? remaining : nil
        }
    }
}
