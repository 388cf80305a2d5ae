import NIOCore
import Synchronization

/// Per-client limits of one instance: a token bucket of requests per client (`limits.rate`,
/// `limits.burst`) and a cap on the requests a client may have waiting at once
/// (`limits.max_waiters_per_client`).
///
/// A client is its authenticated identity, or its IP address when it has none. Shared by all
/// event loops behind one lock, held for a dictionary lookup and a little arithmetic.
final class ClientLimits: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilledAt: Int64
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        var waiters: [String: Int] = [:]
    }

    private let rate: Double
    private let burst: Double
    private let maxWaiters: Int
    private let state = Mutex(State())

    /// Above this many clients, buckets that have refilled completely are forgotten.
    private static let sweepThreshold = 10_000

    init(rate: Int, burst: Int, maxWaitersPerClient: Int) {
        self.rate = Double(rate)
        self.burst = Double(max(burst, 1))
        self.maxWaiters = maxWaitersPerClient
    }

    /// Takes one request from `client`'s bucket: nil when allowed, else the seconds until a
    /// request would be.
    func admit(_ client: String) -> Int? {
        guard self.rate > 0 else { return nil }
        let now = NIODeadline.now().uptimeNanoseconds
        return self.state.withLock { state -> Int? in
            var bucket = state.buckets[client] ?? Bucket(tokens: self.burst, refilledAt: Int64(now))
            let elapsed = Double(Int64(now) - bucket.refilledAt) / 1e9
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            bucket.refilledAt = Int64(now)
            defer {
                if state.buckets.count > Self.sweepThreshold { self.sweep(&state, now: Int64(now)) }
            }
            guard bucket.tokens >= 1 else {
                state.buckets[client] = bucket
                return max(1, Int(((1 - bucket.tokens) / self.rate).rounded(.up)))
            }
            bucket.tokens -= 1
            state.buckets[client] = bucket
            return nil
        }
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

    private func sweep(_ state: inout State, now: Int64) {
        state.buckets = state.buckets.filter { _, bucket in
            bucket.tokens + Double(now - bucket.refilledAt) / 1e9 * self.rate < self.burst
        }
    }
}
