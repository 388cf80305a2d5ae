import ArgumentParser
import Foundation
import JobStatusConfiguration
import JobStatusCore
import JobStatusWriter
import Logging
import RedisWire

/// Options shared by the worker subcommands, and the writer they configure.
struct WriterOptions: ParsableArguments {
    @Option(help: "Redis URL, redis://[user[:password]@]host[:port][/db] (rediss:// for TLS, set up by $REDIS_TLS_*); comma-separated seeds for a cluster, or sentinels (default: $REDIS_URL, else redis://127.0.0.1:6379).")
    var redisURL: String?

    @Option(help: "standalone, cluster or sentinel (default: $REDIS_MODE, else standalone).")
    var redisMode: String?

    @Option(help: "With --redis-mode sentinel: the name the sentinels monitor the master under (default: $REDIS_SENTINEL_MASTER).")
    var sentinelMaster: String?

    @Option(help: "acknowledged (the primary has the write) or replicated (a replica has it too, via WAIT 1).")
    var durability: String = "acknowledged"

    @Option(help: "With --durability replicated: how long to wait for a replica.")
    var replicationTimeout: String = "2s"

    @Option(help: "Prefix of the job keys (default: $JOBS_KEY_PREFIX, else job:).")
    var keyPrefix: String?

    @Option(help: "A JSON configuration file (default: $JOBSTATUS_CONFIG, else Config/jobstatus.json if present).")
    var config: String?

    /// Runs `body` with a connected writer and maps every failure to its exit code.
    func withWriter<Result>(_ body: (JobWriter) async throws(JobWriteError) -> Result) async throws -> Result {
        var flags: [String: String] = [:]
        if let redisURL { flags["redis.url"] = redisURL }
        if let keyPrefix { flags["jobs.key_prefix"] = keyPrefix }
        if let redisMode { flags["redis.mode"] = redisMode }
        if let sentinelMaster { flags["redis.sentinel.master"] = sentinelMaster }
        let deployment: RedisDeployment
        let configuration: JobWriterConfiguration
        do {
            let settings = try await ConfigurationLoader.settings(flags: flags, configFile: self.config)
            var redis = try RedisSettings(settings: settings.scoped(to: "redis"))
            // A worker waits longer than a poll would, and reads back from the primary only.
            redis.timeout = .seconds(5)
            redis.readFrom = .primary
            deployment = redis.deployment
            let jobs = try JobsSettings(settings: settings.scoped(to: "jobs"))
            configuration = JobWriterConfiguration(
                keyPrefix: jobs.keyPrefix,
                pendingTTL: jobs.pendingTTL,
                terminalTTL: jobs.terminalTTL,
                defaultETA: jobs.defaultETA,
                durability: try self.parsedDurability()
            )
        } catch let error as ValidationError {
            Self.report(error.message)
            throw ExitStatus.usage
        } catch {
            Self.report("\(error)")
            throw ExitStatus.configuration
        }
        var logger = Logger(label: "jobstatus")
        logger.logLevel = .error
        let writer: JobWriter
        do {
            writer = try await JobWriter.connect(deployment: deployment, configuration: configuration, logger: logger)
        } catch {
            Self.report(error.description)
            throw ExitStatus.code(for: error)
        }
        let outcome: Swift.Result<Result, JobWriteError>
        do {
            outcome = .success(try await body(writer))
        } catch {
            outcome = .failure(error)
        }
        await writer.close()
        switch outcome {
        case .success(let result):
            return result
        case .failure(let error):
            Self.report(error.description)
            throw ExitStatus.code(for: error)
        }
    }

    private func parsedDurability() throws -> JobWriteDurability {
        switch self.durability {
        case "acknowledged":
            return .acknowledged
        case "replicated":
            guard let timeout = try ArgumentParsing.duration(self.replicationTimeout, option: "--replication-timeout") else {
                return .replicated(timeout: .seconds(2))
            }
            return .replicated(timeout: timeout)
        default:
            throw ValidationError("--durability must be acknowledged or replicated, not \"\(self.durability)\"")
        }
    }

    static func report(_ message: String) {
        var standardError = StandardError()
        print("jobstatus: \(message)", to: &standardError)
    }
}

/// Parses `--ttl` and `--eta` values with clear errors.
enum ArgumentParsing {
    static func duration(_ text: String?, option: String) throws -> Duration? {
        guard let text else { return nil }
        guard let duration = DurationText.parse(text), duration > .zero else {
            throw ValidationError("\(option) must be a duration such as 90s, 15m, 24h or 7d (at most 36500d), not \"\(text)\"")
        }
        return duration
    }

    static func eta(_ text: String?) throws -> JobETA? {
        guard let text else { return nil }
        guard let eta = JobETA(parsing: text) else {
            throw ValidationError("--eta must be a duration (90s) or an RFC 3339 time (2026-11-28T10:00:00Z), not \"\(text)\"")
        }
        return eta
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
