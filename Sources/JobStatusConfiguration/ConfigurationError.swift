/// A configuration value that cannot be used, reported before the server starts.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    /// `key` had `value`, which is not what it takes.
    public static func invalid(_ key: String, _ value: String, expected: String) -> ConfigurationError {
        ConfigurationError("invalid value \"\(value)\" for \(key) (\(SettingsReader.environmentName(of: key))): expected \(expected)")
    }

    public var description: String { self.message }
}
