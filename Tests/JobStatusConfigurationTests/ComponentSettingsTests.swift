import Configuration
import JobStatusCore
import Logging
import RedisWire
import Testing

@testable import JobStatusConfiguration

/// Each component reads its own scope, alone: what the worker subcommands read (redis, jobs)
/// needs nothing of the front's, and an unusable value names its whole key and variable.
@Suite("Configuration per component")
struct ComponentSettingsTests {
    static func settings(_ variables: [String: String]) -> SettingsReader {
        SettingsReader(ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: variables)))
    }

    @Test("a scoped reader names a value's whole key and its variable", arguments: [
        ("http", "HTTP_IDLE_TIMEOUT", "0ms", "http.idle_timeout (HTTP_IDLE_TIMEOUT)"),
        ("polling", "POLLING_MAX_BATCH", "1001", "polling.max_batch (POLLING_MAX_BATCH)"),
        ("limits", "LIMITS_BURST", "0", "limits.burst (LIMITS_BURST)"),
        ("metrics", "METRICS_ENABLED", "perhaps", "metrics.enabled (METRICS_ENABLED)"),
        ("log", "LOG_LEVEL", "loud", "log.level (LOG_LEVEL)"),
        ("log", "LOG_FORMAT", "xml", "log.format (LOG_FORMAT)"),
        ("jobs", "JOBS_PENDING_TTL", "forever", "jobs.pending_ttl (JOBS_PENDING_TTL)"),
        ("redis", "REDIS_TIMEOUT", "0ms", "redis.timeout (REDIS_TIMEOUT)"),
        ("redis", "REDIS_TLS_VERIFY", "maybe", "redis.tls.verify (REDIS_TLS_VERIFY)"),
        ("auth", "AUTH_JWT_LEEWAY", "soon", "auth.jwt.leeway (AUTH_JWT_LEEWAY)"),
    ])
    func scopedErrors(scope: String, variable: String, value: String, named: String) {
        let reader = Self.settings([variable: value, "REDIS_URL": value == "maybe" ? "rediss://a:1" : "redis://a:1"]).scoped(to: scope)
        do {
            switch scope {
            case "http": _ = try HTTPSettings(settings: reader)
            case "polling": _ = try PollingSettings(settings: reader)
            case "limits": _ = try LimitsSettings(settings: reader)
            case "metrics": _ = try MetricsSettings(settings: reader)
            case "log": _ = try LogSettings(settings: reader)
            case "jobs": _ = try JobsSettings(settings: reader)
            case "redis": _ = try RedisSettings(settings: reader)
            default: _ = try AuthSettings(settings: reader)
            }
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect(error.description.contains(named), "\(error)")
            #expect(error.description.contains("\"\(value)\""), "\(error)")
        }
    }

    @Test("the worker's components read alone: RedisSettings and JobsSettings need no auth, no http")
    func workerComponents() throws {
        let settings = Self.settings(["REDIS_URL": "redis://cache:6380/2", "JOBS_KEY_PREFIX": "j:", "JOBS_TERMINAL_TTL": "2d"])
        let redis = try RedisSettings(settings: settings.scoped(to: "redis"))
        let jobs = try JobsSettings(settings: settings.scoped(to: "jobs"))
        #expect(redis.urls == [RedisURL(host: "cache", port: 6380, database: 2)])
        #expect(jobs.keyPrefix == "j:")
        #expect(jobs.terminalTTL == .seconds(172_800))
        #expect(jobs.pendingTTL == RecordDefaults.pendingTTL, "the script's own default")
        #expect(jobs.defaultETA == RecordDefaults.defaultETA)
        // The front's whole configuration, on the same values, refuses what the worker does not need.
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(settings: settings) }
    }

    @Test("each auth mode requires what it needs, and only that")
    func authModes() throws {
        let cases: [([String: String], Bool)] = [
            (["AUTH_MODE": "tokens", "AUTH_TOKENS_FILE": "/t.json"], true),
            (["AUTH_MODE": "tokens"], false),
            (["AUTH_MODE": "jwt", "AUTH_JWT_HMAC_SECRET": "s"], true),
            (["AUTH_MODE": "jwt", "AUTH_JWT_ISSUER": "i"], false),
            (["AUTH_MODE": "gateway", "AUTH_GATEWAY_PSK": "0123456789abcdef"], true),
            (["AUTH_MODE": "gateway", "AUTH_GATEWAY_PSK": "short"], false),
            (["AUTH_MODE": "none"], true),
            (["AUTH_MODE": "basic"], false),
        ]
        for (variables, usable) in cases {
            let read = Result { () throws(ConfigurationError) in try AuthSettings(settings: Self.settings(variables).scoped(to: "auth")) }
            #expect(((try? read.get()) != nil) == usable, "\(variables)")
        }
        let jwt = try AuthSettings(
            settings: Self.settings([
                "AUTH_MODE": "jwt", "AUTH_JWT_JWKS_FILE": "/k.json", "AUTH_JWT_ISSUER": "https://idp", "AUTH_JWT_AUDIENCE": "jobs",
                "AUTH_JWT_LEEWAY": "5s",
            ]).scoped(to: "auth")
        )
        #expect(jwt.jwt.jwksFile == "/k.json" && jwt.jwt.issuer == "https://idp" && jwt.jwt.audience == "jobs")
        #expect(jwt.jwt.leeway == .seconds(5))
    }

    @Test("auth.jwt.jwks_url: https, or http to a loopback address only; its cache bounds in order", arguments: [
        ("https://idp.example/realms/x/protocol/openid-connect/certs", nil),
        ("http://127.0.0.1:8080/jwks", nil),
        ("http://localhost/jwks", nil),
        ("http://[::1]:9000/jwks", nil),
        ("http://idp.example/jwks", "auth.jwt.jwks_url"),
        ("http://10.0.0.1/jwks", "auth.jwt.jwks_url"),
        ("ftp://idp.example/jwks", "auth.jwt.jwks_url"),
        ("https://user:pw@idp.example/jwks", "auth.jwt.jwks_url"),
        ("/etc/jwks.json", "auth.jwt.jwks_url"),
    ])
    func jwksURL(url: String, refusedKey: String?) throws {
        let read = Result { () throws(ConfigurationError) in
            try AuthSettings(settings: Self.settings(["AUTH_MODE": "jwt", "AUTH_JWT_JWKS_URL": url]).scoped(to: "auth"))
        }
        switch read {
        case .success(let settings):
            #expect(refusedKey == nil, "\(url) was taken")
            #expect(settings.jwt.jwksURL?.description == url)
            #expect(settings.jwt.jwksMinRefresh == .seconds(10) && settings.jwt.jwksCacheMin == .seconds(60) && settings.jwt.jwksCacheMax == .seconds(3600))
        case .failure(let error):
            #expect(refusedKey.map { "\(error)".contains($0) } == true, "\(url): \(error)")
        }
    }

    @Test("auth.jwt.jwks_cache_min above jwks_cache_max, or a zero jwks_min_refresh, is refused")
    func jwksBounds() {
        for variables in [["AUTH_JWT_JWKS_CACHE_MIN": "2h"], ["AUTH_JWT_JWKS_MIN_REFRESH": "0s"], ["AUTH_JWT_JWKS_TIMEOUT": "0s"]] {
            let all = variables.merging(["AUTH_MODE": "jwt", "AUTH_JWT_JWKS_URL": "https://idp/jwks"]) { a, _ in a }
            #expect(throws: ConfigurationError.self, "\(variables)") { try AuthSettings(settings: Self.settings(all).scoped(to: "auth")) }
        }
    }

    @Test("polling: Retry-After's bounds must be in order; the heartbeat must be above zero")
    func polling() throws {
        #expect(throws: ConfigurationError.self) {
            try PollingSettings(settings: Self.settings(["POLLING_RETRY_AFTER_MIN": "40s"]).scoped(to: "polling"))
        }
        #expect(throws: ConfigurationError.self) {
            try PollingSettings(settings: Self.settings(["POLLING_HEARTBEAT": "0s"]).scoped(to: "polling"))
        }
        let polling = try PollingSettings(settings: Self.settings(["POLLING_MAX_WAIT": "2m", "POLLING_MAX_BATCH": "1000"]).scoped(to: "polling"))
        #expect(polling.maxWait == .seconds(120) && polling.maxBatch == PollingSettings.maxBatchLimit)
    }

    @Test("log: level, format and the access log")
    func log() throws {
        let log = try LogSettings(settings: Self.settings(["LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json", "LOG_ACCESS": "yes"]).scoped(to: "log"))
        #expect(log.level == .debug && log.format == .json && log.access)
        let defaults = try LogSettings(settings: Self.settings([:]).scoped(to: "log"))
        #expect(defaults.level == .info && defaults.format == .text && !defaults.access)
    }
}
