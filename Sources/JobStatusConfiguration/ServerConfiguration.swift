/// Everything `jobstatus serve` is configured with, one value per component, each reading its
/// own scope.
///
/// Every key is listed in the README's configuration table and in `Config/jobstatus.json`, whose
/// values must equal the defaults here (a test checks it).
public struct ServerConfiguration: Sendable {
    public var http = HTTPSettings()
    public var redis = RedisSettings()
    public var jobs = JobsSettings()
    public var auth = AuthSettings()
    public var polling = PollingSettings()
    public var limits = LimitsSettings()
    public var metrics = MetricsSettings()
    public var log = LogSettings()

    public init() {}

    /// Reads every component, failing on the first value that is present but unusable.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        self.http = try HTTPSettings(settings: settings.scoped(to: "http"))
        self.redis = try RedisSettings(settings: settings.scoped(to: "redis"))
        self.jobs = try JobsSettings(settings: settings.scoped(to: "jobs"))
        self.auth = try AuthSettings(settings: settings.scoped(to: "auth"))
        self.polling = try PollingSettings(settings: settings.scoped(to: "polling"))
        self.limits = try LimitsSettings(settings: settings.scoped(to: "limits"))
        self.metrics = try MetricsSettings(settings: settings.scoped(to: "metrics"))
        self.log = try LogSettings(settings: settings.scoped(to: "log"))
    }
}
