public import JobStatusCore

/// Defaults the writer applies when a call does not say otherwise.
public struct JobWriterConfiguration: Sendable {
    /// Prepended to the id to form the Redis key (`jobs.key_prefix`).
    public var keyPrefix: String
    /// How long a pending record lives without progress (`jobs.pending_ttl`).
    public var pendingTTL: Duration
    /// How long a terminal record stays readable (`jobs.terminal_ttl`).
    public var terminalTTL: Duration
    /// The eta of a new job when the worker gives none (`jobs.default_eta`).
    public var defaultETA: Duration
    /// When a write counts as done.
    public var durability: JobWriteDurability

    public init(
        keyPrefix: String = "job:",
        pendingTTL: Duration = RecordDefaults.pendingTTL,
        terminalTTL: Duration = RecordDefaults.terminalTTL,
        defaultETA: Duration = RecordDefaults.defaultETA,
        durability: JobWriteDurability = .acknowledged
    ) {
        self.keyPrefix = keyPrefix
        self.pendingTTL = pendingTTL
        self.terminalTTL = terminalTTL
        self.defaultETA = defaultETA
        self.durability = durability
    }
}

/// When a write counts as done.
public enum JobWriteDurability: Sendable, Equatable {
    /// When the primary answered (Redis' normal acknowledgement).
    case acknowledged
    /// When at least one replica has the write too (`WAIT 1`), or the call fails after `timeout`.
    case replicated(timeout: Duration)
}
