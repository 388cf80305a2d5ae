import NIOCore

/// Which replica a read goes to: each in turn, skipping for a while those whose last read failed;
/// and how long a replica has to answer.
///
/// A read a replica fails — the replica is not connected, the connection dies under it, it
/// answers `LOADING` during a resync, or it does not answer within half of `redis.timeout` (it
/// is stopped, or the network to it is) — is retried once on the primary: the primary is
/// healthy, and the poll should not pay for the replica. Used by the cluster and the sentinel
/// routers alike.
struct ReplicaRotation {
    /// How long reads skip a replica that failed one; after that, the next read tries it again,
    /// which is how it is found to answer again.
    static let skip = TimeAmount.seconds(1)

    private var cursor = 0
    private var skipped: [RedisNode: NIODeadline] = [:]

    /// The next of `replicas` in turn that is not skipped; nil: read from the primary.
    mutating func next(of replicas: [RedisNode]) -> RedisNode? {
        guard !replicas.isEmpty else { return nil }
        // The clock is read only while some replica is skipped.
        let now = self.skipped.isEmpty ? nil : NIODeadline.now()
        for _ in replicas.indices {
            self.cursor &+= 1
            let candidate = replicas[self.cursor % replicas.count]
            guard let now, let until = self.skipped[candidate] else { return candidate }
            if until <= now {
                self.skipped[candidate] = nil
                return candidate
            }
        }
        return nil
    }

    /// Skips `replica` for a while and counts the fallback (`jobstatus_redis_replica_fallbacks_total`);
    /// true when it was not skipped already (log it then, once).
    mutating func skip(_ replica: RedisNode) -> Bool {
        let isNew = self.skipped[replica] == nil
        self.skipped[replica] = .now() + Self.skip
        RedisMetrics.replicaFallbacks.increment()
        return isNew
    }

    /// Whether a replica's reply means it cannot serve reads right now.
    static func cannotServe(_ reply: RedisReply) -> Bool {
        reply.errorCode == .loading
    }

    /// How long a replica read may take: half of the command timeout, so that its retry on the
    /// primary still has time.
    static func readTimeout(commandTimeout: TimeAmount) -> TimeAmount {
        .nanoseconds(commandTimeout.nanoseconds / 2)
    }
}
