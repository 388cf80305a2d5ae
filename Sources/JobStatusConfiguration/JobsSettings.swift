import JobStatusCore

/// `jobs.*`: where job records live, and the defaults a writer gives them.
public struct JobsSettings: Sendable {
    /// `jobs.key_prefix`: the job key is this prefix followed by the id.
    public var keyPrefix = "job:"
    /// `jobs.pending_ttl`: the lifetime of a pending record (refreshed by progress).
    public var pendingTTL = RecordDefaults.pendingTTL
    /// `jobs.terminal_ttl`: the lifetime of a terminal record.
    public var terminalTTL = RecordDefaults.terminalTTL
    /// `jobs.default_eta`: the eta of a job created without one.
    public var defaultETA = RecordDefaults.defaultETA

    public init() {}

    /// Reads the `jobs` scope.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = Self()
        self.keyPrefix = settings.string("key_prefix", default: defaults.keyPrefix)
        self.pendingTTL = try settings.duration("pending_ttl", default: defaults.pendingTTL)
        self.terminalTTL = try settings.duration("terminal_ttl", default: defaults.terminalTTL)
        self.defaultETA = try settings.duration("default_eta", default: defaults.defaultETA)
    }
}
