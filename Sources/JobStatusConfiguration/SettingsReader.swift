public import Configuration
import JobStatusCore

/// Typed reads over a swift-configuration `ConfigReader` that refuse bad values loudly.
///
/// `ConfigReader` falls back to the default when a value cannot be converted, so `HTTP_PORT=80a`
/// would silently mean 8080. Here a value that is present but unusable is an error naming the
/// key, its environment variable and what it takes. Each component reads its own scope
/// (`scoped(to: "http")` reads `port` as `http.port`), and its errors still name the whole key.
public struct SettingsReader: Sendable {
    public let reader: ConfigReader
    /// The scope's path, for messages: `["redis", "tls"]` names `ca_file` as `redis.tls.ca_file`.
    private let scope: [String]

    public init(_ reader: ConfigReader) {
        self.reader = reader
        self.scope = []
    }

    private init(_ reader: ConfigReader, scope: [String]) {
        self.reader = reader
        self.scope = scope
    }

    /// The reader of the keys under `name`.
    public func scoped(to name: String) -> SettingsReader {
        SettingsReader(self.reader.scoped(to: ConfigKey(name)), scope: self.scope + [name])
    }

    /// `key` as written in the configuration file and the README: with its scope.
    public func fullKey(_ key: String) -> String {
        (self.scope + [key]).joined(separator: ".")
    }

    /// The environment variable swift-configuration maps `key` to (`http.port` → `HTTP_PORT`).
    public static func environmentName(of key: String) -> String {
        key.uppercased().replacing(".", with: "_").replacing("-", with: "_")
    }

    public func string(_ key: String, default defaultValue: String, isSecret: Bool = false) -> String {
        self.reader.string(forKey: ConfigKey(key), isSecret: isSecret) ?? defaultValue
    }

    public func optionalString(_ key: String, isSecret: Bool = false) -> String? {
        self.reader.string(forKey: ConfigKey(key), isSecret: isSecret).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let value: Int
        if let number = self.reader.int(forKey: ConfigKey(key)) {
            value = number
        } else if let text = self.reader.string(forKey: ConfigKey(key)) {
            guard let number = Int(text) else {
                throw .invalid(self.fullKey(key), text, expected: "an integer between \(range.lowerBound) and \(range.upperBound)")
            }
            value = number
        } else {
            return defaultValue
        }
        guard range.contains(value) else {
            throw .invalid(self.fullKey(key), String(value), expected: "an integer between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        if let flag = self.reader.bool(forKey: ConfigKey(key)) {
            return flag
        }
        guard let text = self.reader.string(forKey: ConfigKey(key)) else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw .invalid(self.fullKey(key), text, expected: "true or false")
        }
    }

    /// A duration written as `500ms`, `10s`, `15m`, `24h`, `7d`, or a number of seconds.
    public func duration(_ key: String, default defaultValue: Duration) throws(ConfigurationError) -> Duration {
        if let text = self.reader.string(forKey: ConfigKey(key)) {
            guard let duration = DurationText.parse(text) else {
                throw .invalid(self.fullKey(key), text, expected: "a duration such as 500ms, 10s, 15m, 24h or 7d, at most 36500d")
            }
            return duration
        }
        let number = self.reader.int(forKey: ConfigKey(key)).map(Double.init) ?? self.reader.double(forKey: ConfigKey(key))
        guard let number else { return defaultValue }
        guard let duration = DurationText.duration(seconds: number) else {
            throw .invalid(self.fullKey(key), "\(number)", expected: "a duration from 0 to 36500d")
        }
        return duration
    }

    /// A duration that must be above zero: a timeout or an interval.
    public func positiveDuration(_ key: String, default defaultValue: Duration) throws(ConfigurationError) -> Duration {
        let duration = try self.duration(key, default: defaultValue)
        guard duration > .zero else {
            throw .invalid(self.fullKey(key), DurationText.format(duration), expected: "a duration above zero")
        }
        return duration
    }

    /// One of a fixed set of words.
    public func choice<Value: RawRepresentable & CaseIterable>(
        _ key: String,
        default defaultValue: Value
    ) throws(ConfigurationError) -> Value where Value.RawValue == String {
        guard let text = self.reader.string(forKey: ConfigKey(key)) else { return defaultValue }
        guard let value = Value(rawValue: text.lowercased()) else {
            let choices = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalid(self.fullKey(key), text, expected: "one of \(choices)")
        }
        return value
    }
}
