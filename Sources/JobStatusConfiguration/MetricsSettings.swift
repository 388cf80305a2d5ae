/// `metrics.*`: whether Prometheus metrics are collected, and where they are served.
public struct MetricsSettings: Sendable {
    /// `metrics.enabled`: collect and serve metrics at all.
    public var enabled = true
    /// `metrics.port`: 0 serves `/metrics` on `http.port`; another port serves it (and health)
    /// there only, for operators.
    public var port = 0

    public init() {}

    /// Reads the `metrics` scope.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = Self()
        self.port = try settings.int("port", default: defaults.port, in: 0...65535)
        self.enabled = try settings.bool("enabled", default: defaults.enabled)
    }
}
