import ArgumentParser
import Configuration
import JobStatusConfiguration
import SystemPackage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Builds the configuration every subcommand reads, highest priority first: command-line flags,
/// environment variables, then the JSON file (`--config`, else `JOBSTATUS_CONFIG`, else
/// `Config/jobstatus.json` when it exists in the working directory).
enum ConfigurationLoader {
    static let defaultFile = "Config/jobstatus.json"

    static func settings(flags: [String: String], configFile: String?) async throws -> SettingsReader {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags {
            values[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(.string(value), isSecret: key == "redis.url")
        }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "command line", values: values),
            EnvironmentVariablesProvider(),
        ]
        if let path = self.filePath(explicit: configFile) {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ValidationError("cannot read the configuration file \(path): \(error)")
            }
        }
        return SettingsReader(ConfigReader(providers: providers))
    }

    private static func filePath(explicit: String?) -> String? {
        if let explicit { return explicit }
        if let fromEnvironment = ProcessInfo.processInfo.environment["JOBSTATUS_CONFIG"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return FileManager.default.fileExists(atPath: self.defaultFile) ? self.defaultFile : nil
    }
}
