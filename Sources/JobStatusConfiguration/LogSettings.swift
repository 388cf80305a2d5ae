public import Logging

/// `log.*`: how much the front logs, in which format, and whether every request is logged.
public struct LogSettings: Sendable {
    /// `log.format`.
    public enum Format: String, Sendable, CaseIterable {
        /// swift-log's default text lines.
        case text
        /// One JSON object per line.
        case json
    }

    /// `log.level`.
    public var level: Logger.Level = .info
    public var format: Format = .text
    /// `log.access`: one log line per answered request.
    public var access = false

    public init() {}

    /// Reads the `log` scope.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = Self()
        self.level = try settings.choice("level", default: defaults.level)
        self.format = try settings.choice("format", default: defaults.format)
        self.access = try settings.bool("access", default: defaults.access)
    }
}
