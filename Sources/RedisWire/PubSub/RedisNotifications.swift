/// How the fronts of a Redis Cluster subscribe to the write script's notifications.
///
/// The script publishes with `SPUBLISH` on a cluster of Redis 7 or later (the message stays in
/// the job's shard) and with `PUBLISH` otherwise (a Redis 6 cluster; a standalone or Sentinel
/// deployment, which has one node to publish on). The fronts' subscriptions must match what
/// the writers' script does; `both` bridges an upgrade, when some writers still run a script
/// that publishes classically.
public enum RedisNotifications: String, Sendable, CaseIterable {
    /// `SSUBSCRIBE` on the shard of each job (the script of this version on Redis 7+).
    case sharded
    /// `SUBSCRIBE` on one node, which every classic `PUBLISH` reaches (Redis 6 clusters, and
    /// writers running a script of an earlier version).
    case classic
    /// Both, a wait ready once both are: for a fleet whose writers are being upgraded.
    case both

    /// The framings to subscribe with.
    var framings: [RedisSubscriber.Framing] {
        switch self {
        case .sharded: [.sharded]
        case .classic: [.classic]
        case .both: [.sharded, .classic]
        }
    }
}
