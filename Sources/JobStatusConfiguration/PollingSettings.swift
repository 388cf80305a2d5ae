/// `polling.*`: how long polls are held and what they tell clients about when to come back.
public struct PollingSettings: Sendable {
    /// `polling.max_wait`: the longest a long poll (`?wait=N`, `Prefer: wait=N`) is held.
    public var maxWait: Duration = .seconds(30)
    /// `polling.retry_after_min`: the least `Retry-After` a pending job answers with.
    public var retryAfterMin: Duration = .seconds(1)
    /// `polling.retry_after_max`: the most `Retry-After` a pending job answers with.
    public var retryAfterMax: Duration = .seconds(30)
    /// `polling.terminal_max_age`: `Cache-Control: private, max-age` of a terminal job.
    public var terminalMaxAge: Duration = .seconds(3600)
    /// `polling.heartbeat`: how often an idle event stream sends a comment and re-reads the job.
    public var heartbeat: Duration = .seconds(15)
    /// `polling.max_batch`: the most distinct ids one job list (`/api/jobs?ids=…`) may name.
    public var maxBatch = 100
    /// The largest `polling.max_batch` accepted: a list is answered in one response, read in one
    /// burst of commands, and its URI must fit `http.max_header_size`.
    public static let maxBatchLimit = 1000

    public init() {}

    /// Reads the `polling` scope.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = Self()
        self.maxWait = try settings.duration("max_wait", default: defaults.maxWait)
        self.retryAfterMin = try settings.duration("retry_after_min", default: defaults.retryAfterMin)
        self.retryAfterMax = try settings.duration("retry_after_max", default: defaults.retryAfterMax)
        self.terminalMaxAge = try settings.duration("terminal_max_age", default: defaults.terminalMaxAge)
        self.heartbeat = try settings.positiveDuration("heartbeat", default: defaults.heartbeat)
        self.maxBatch = try settings.int("max_batch", default: defaults.maxBatch, in: 1...Self.maxBatchLimit)
        if self.retryAfterMin > self.retryAfterMax {
            throw ConfigurationError("polling.retry_after_min must not exceed polling.retry_after_max")
        }
    }
}
