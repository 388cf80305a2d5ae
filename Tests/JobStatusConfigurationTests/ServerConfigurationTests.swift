import Configuration
import Foundation
import JobStatusCore
import SystemPackage
import Testing

@testable import JobStatusConfiguration

@Suite("Configuration")
struct ServerConfigurationTests {
    private func settings(_ values: [String: ConfigValue]) -> SettingsReader {
        var absolute: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in values {
            absolute[AbsoluteConfigKey(ConfigKey(key))] = value
        }
        return SettingsReader(ConfigReader(provider: InMemoryProvider(values: absolute)))
    }

    private func environment(_ variables: [String: String]) -> SettingsReader {
        SettingsReader(ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: variables)))
    }

    @Test("environment variables are the keys upper-cased with . → _")
    func environmentNames() throws {
        let configuration = try ServerConfiguration(
            settings: self.environment([
                "HTTP_PORT": "9090", "HTTP_HEADER_TIMEOUT": "3s", "REDIS_URL": "redis://:pw@cache:6380/3",
                "REDIS_TIMEOUT": "250ms", "JOBS_KEY_PREFIX": "jobstatus:", "AUTH_MODE": "none",
                "HTTP_TRUST_FORWARDED_HEADERS": "true", "HTTP_LOCATION_HEADER": "yes",
            ])
        )
        #expect(configuration.http.port == 9090)
        #expect(configuration.http.headerTimeout == .seconds(3))
        #expect(configuration.redis.urls == [RedisURLFixture.cache])
        #expect(configuration.redis.timeout == .milliseconds(250))
        #expect(configuration.jobs.keyPrefix == "jobstatus:")
        #expect(configuration.auth.mode == .none)
        #expect(configuration.http.trustForwardedHeaders)
        #expect(configuration.http.locationHeader)
    }

    @Test(
        "values that are present but unusable stop start-up with the key and the variable named",
        arguments: [
            ["HTTP_PORT": "80a"], ["HTTP_PORT": "70000"], ["HTTP_HEADER_TIMEOUT": "soon"], ["REDIS_TIMEOUT": "0s"],
            ["AUTH_MODE": "jwt"], ["REDIS_URL": "localhost:6379"], ["HTTP_TRUST_FORWARDED_HEADERS": "maybe"],
            ["AUTH_MODE": "tokens"], ["REDIS_URL": "redis://a:1,redis://b:2"], ["REDIS_MODE": "sentinel"],
            ["REDIS_MODE": "cluster", "REDIS_URL": "redis://a:1/2"], ["REDIS_READ_FROM": "any"],
            ["REDIS_CLUSTER_NOTIFICATIONS": "smart"],
            ["REDIS_TLS_CA_FILE": "/ca.pem"], ["REDIS_URL": "redis://a:1", "REDIS_TLS_VERIFY": "ca"],
            ["REDIS_URL": "rediss://a:1", "REDIS_TLS_VERIFY": "chain"],
            ["REDIS_URL": "rediss://a:1", "REDIS_TLS_CERT_FILE": "/client.pem"],
            ["REDIS_URL": "rediss://a:1", "REDIS_TLS_KEY_FILE": "/client.key"],
            ["REDIS_MODE": "cluster", "REDIS_URL": "rediss://a:1,redis://b:2"],
            ["REDIS_PASSWORD": "pw", "REDIS_PASSWORD_FILE": "/run/secrets/redis"],
            ["REDIS_MODE": "sentinel", "REDIS_SENTINEL_MASTER": ""], ["REDIS_SENTINEL_MASTER": "jobs"],
            ["REDIS_MODE": "sentinel", "REDIS_SENTINEL_MASTER": "jobs", "REDIS_URL": "redis://s1:26379/2"],
            ["REDIS_MODE": "cluster", "REDIS_DB": "1"], ["REDIS_URL": "redis://a:1/2", "REDIS_DB": "3"], ["REDIS_DB": "-1"],
        ]
    )
    func refused(variables: [String: String]) {
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration(settings: self.environment(variables.merging(["AUTH_MODE": "none"]) { new, _ in new }))
        }
    }

    @Test("cluster mode takes comma-separated seeds and a read preference")
    func cluster() throws {
        let configuration = try ServerConfiguration(
            settings: self.environment([
                "REDIS_MODE": "cluster", "REDIS_URL": "redis://:pw@10.0.0.1:7000, redis://10.0.0.2:7001",
                "REDIS_READ_FROM": "replica", "AUTH_MODE": "none", "REDIS_CLUSTER_NOTIFICATIONS": "both",
            ])
        )
        #expect(configuration.redis.mode == .cluster)
        #expect(configuration.redis.urls.map(\.port) == [7000, 7001])
        #expect(configuration.redis.readFrom == .replica)
        guard case .cluster(let cluster) = configuration.redis.deployment else {
            Issue.record("expected a cluster deployment")
            return
        }
        #expect(cluster.readFromReplicas)
        #expect(cluster.notifications == .both)
        #expect(cluster.seeds.count == 2)
    }

    @Test("sentinel mode: redis.url lists the sentinels with their own credentials; the master gets redis.username, redis.password and redis.db")
    func sentinel() throws {
        let configuration = try ServerConfiguration(
            settings: self.environment([
                "REDIS_MODE": "sentinel", "REDIS_URL": "redis://:sentinel-pw@10.0.0.1:26379, redis://10.0.0.2:26380",
                "REDIS_SENTINEL_MASTER": "jobs", "REDIS_USERNAME": "front", "REDIS_PASSWORD": "data-pw", "REDIS_DB": "3",
                "REDIS_READ_FROM": "replica", "AUTH_MODE": "none",
            ])
        )
        #expect(configuration.redis.sentinelMaster == "jobs")
        guard case .sentinel(let master, let readFromReplicas) = configuration.redis.deployment else {
            Issue.record("expected a sentinel deployment")
            return
        }
        #expect(readFromReplicas)
        #expect(master.url.user == "front" && master.url.password == "data-pw" && master.url.database == 3)
        let sentinel = try #require(master.sentinel)
        #expect(sentinel.masterName == "jobs")
        #expect(sentinel.sentinels.map(\.port) == [26379, 26380])
        #expect(sentinel.sentinels[0].password == "sentinel-pw" && sentinel.sentinels[0].user == nil)
        #expect(sentinel.sentinels[1].password == nil)
        #expect(configuration.redis.deployment.subscriberConfiguration.sentinel == sentinel)
        #expect(!configuration.redis.deployment.description.contains("pw"))
    }

    @Test("redis.db selects a standalone server's database")
    func database() throws {
        let configuration = try ServerConfiguration(settings: self.environment(["REDIS_DB": "5", "AUTH_MODE": "none"]))
        #expect(configuration.redis.urls[0].database == 5)
        let same = try ServerConfiguration(settings: self.environment(["REDIS_URL": "redis://a:1/5", "REDIS_DB": "5", "AUTH_MODE": "none"]))
        #expect(same.redis.urls[0].database == 5)
    }

    @Test("rediss:// with redis.tls.* reaches every cluster node; redis.username and redis.password override the URL's")
    func tlsAndSecrets() throws {
        let configuration = try ServerConfiguration(
            settings: self.environment([
                "REDIS_MODE": "cluster", "REDIS_URL": "rediss://old:stale@10.0.0.1:7000,rediss://10.0.0.2:7001",
                "REDIS_TLS_CA_FILE": "/etc/ca.pem", "REDIS_TLS_CERT_FILE": "/etc/client.pem", "REDIS_TLS_KEY_FILE": "/etc/client.key",
                "REDIS_TLS_SERVER_NAME": "redis.internal", "REDIS_TLS_VERIFY": "ca",
                "REDIS_USERNAME": "front", "REDIS_PASSWORD": "s3cret", "AUTH_MODE": "none",
            ])
        )
        let tls = RedisTLSConfiguration(
            caFile: "/etc/ca.pem", certificateFile: "/etc/client.pem", keyFile: "/etc/client.key",
            serverName: "redis.internal", verification: .ca
        )
        #expect(configuration.redis.tls == tls)
        #expect(configuration.redis.urls.allSatisfy { $0.user == "front" && $0.password == "s3cret" && $0.tls })
        guard case .cluster(let cluster) = configuration.redis.deployment else {
            Issue.record("expected a cluster deployment")
            return
        }
        #expect(cluster.connection.tls == tls)
        #expect(configuration.redis.deployment.subscriberConfiguration.tls == tls)
        #expect(!"\(configuration.redis.deployment.description)".contains("s3cret"))
    }

    @Test("redis.password_file is handed to the connections, which read it at each connect")
    func passwordFile() throws {
        let configuration = try ServerConfiguration(
            settings: self.environment(["REDIS_PASSWORD_FILE": "/run/secrets/redis", "AUTH_MODE": "none"])
        )
        #expect(configuration.redis.passwordFile == "/run/secrets/redis")
        guard case .standalone(let connection) = configuration.redis.deployment else {
            Issue.record("expected a standalone deployment")
            return
        }
        #expect(connection.passwordFile == "/run/secrets/redis")
        #expect(connection.tls == nil)
    }

    @Test("the error message names the environment variable")
    func errorNamesVariable() {
        do {
            _ = try ServerConfiguration(settings: self.environment(["HTTP_PORT": "80a", "AUTH_MODE": "none"]))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("http.port"))
            #expect(error.description.contains("HTTP_PORT"))
            #expect(error.description.contains("80a"))
        }
    }

    @Test("Config/jobstatus.json, read as the server reads it, states exactly the built-in defaults")
    func defaultsFile() async throws {
        let file = try await FileProvider<JSONSnapshot>(filePath: FilePath(Self.repositoryFile("Config/jobstatus.json")))
        let reader = ConfigReader(providers: [
            InMemoryProvider(values: ["auth.tokens_file": ConfigValue(.string("tokens.json"), isSecret: false)]), file,
        ])
        let fromFile = try ServerConfiguration(settings: SettingsReader(reader))
        var defaults = ServerConfiguration()
        defaults.auth.tokensFile = "tokens.json"
        #expect(fromFile.http.host == defaults.http.host)
        #expect(fromFile.http.port == defaults.http.port)
        #expect(fromFile.http.threads == defaults.http.threads)
        #expect(fromFile.http.headerTimeout == defaults.http.headerTimeout)
        #expect(fromFile.http.idleTimeout == defaults.http.idleTimeout)
        #expect(fromFile.http.writeTimeout == defaults.http.writeTimeout)
        #expect(reader.string(forKey: "http.write_timeout") == "10s")
        #expect(fromFile.http.maxHeaderSize == defaults.http.maxHeaderSize)
        #expect(fromFile.http.shutdownTimeout == defaults.http.shutdownTimeout)
        #expect(fromFile.http.trustForwardedHeaders == defaults.http.trustForwardedHeaders)
        #expect(fromFile.http.locationHeader == defaults.http.locationHeader)
        #expect(fromFile.redis.urls == defaults.redis.urls)
        #expect(fromFile.redis.mode == defaults.redis.mode)
        #expect(fromFile.redis.readFrom == defaults.redis.readFrom)
        #expect(fromFile.redis.database == defaults.redis.database)
        #expect(fromFile.redis.sentinelMaster == defaults.redis.sentinelMaster)
        #expect(fromFile.redis.timeout == defaults.redis.timeout)
        #expect(fromFile.redis.heartbeat == defaults.redis.heartbeat)
        #expect(reader.string(forKey: "redis.heartbeat") == "15s")
        #expect(reader.string(forKey: "redis.tls.verify") == "full")
        #expect(fromFile.redis.tls == nil && defaults.redis.tls == nil)
        #expect(fromFile.redis.passwordFile == nil)
        #expect(fromFile.jobs.keyPrefix == defaults.jobs.keyPrefix)
        #expect(fromFile.auth.mode == defaults.auth.mode)
        #expect(fromFile.auth.reloadInterval == defaults.auth.reloadInterval)
        #expect(fromFile.auth.jwt.jwksCacheMin == defaults.auth.jwt.jwksCacheMin)
        #expect(fromFile.auth.jwt.jwksCacheMax == defaults.auth.jwt.jwksCacheMax)
        #expect(fromFile.auth.jwt.jwksMinRefresh == defaults.auth.jwt.jwksMinRefresh)
        #expect(fromFile.auth.jwt.jwksTimeout == defaults.auth.jwt.jwksTimeout)
        #expect(reader.string(forKey: "auth.jwt.jwks_cache_max") == "1h")
        #expect(fromFile.polling.maxWait == defaults.polling.maxWait)
        #expect(fromFile.polling.retryAfterMin == defaults.polling.retryAfterMin)
        #expect(fromFile.polling.retryAfterMax == defaults.polling.retryAfterMax)
        #expect(fromFile.polling.terminalMaxAge == defaults.polling.terminalMaxAge)
        #expect(fromFile.polling.heartbeat == defaults.polling.heartbeat)
        #expect(fromFile.log.access == defaults.log.access)
        #expect(fromFile.metrics.enabled == defaults.metrics.enabled)
        #expect(fromFile.metrics.port == defaults.metrics.port)
        #expect(fromFile.limits.rate == defaults.limits.rate)
        #expect(fromFile.limits.burst == defaults.limits.burst)
        #expect(fromFile.limits.maxConnections == defaults.limits.maxConnections)
        #expect(fromFile.limits.maxWaitersPerClient == defaults.limits.maxWaitersPerClient)
        #expect(fromFile.jobs.pendingTTL == defaults.jobs.pendingTTL)
        #expect(fromFile.jobs.terminalTTL == defaults.jobs.terminalTTL)
        #expect(fromFile.jobs.defaultETA == defaults.jobs.defaultETA)
        #expect(fromFile.log.level == defaults.log.level && fromFile.log.format == defaults.log.format)
        #expect(reader.string(forKey: "jobs.pending_ttl").flatMap(DurationText.parse) == .seconds(86_400))
        #expect(reader.string(forKey: "jobs.terminal_ttl").flatMap(DurationText.parse) == .seconds(604_800))
        #expect(reader.string(forKey: "jobs.default_eta").flatMap(DurationText.parse) == .seconds(60))
        #expect(reader.string(forKey: "log.level") == "info")
    }

    @Test("the README's configuration table lists every key of Config/jobstatus.json, and only real keys")
    func readmeTable() throws {
        let data = try #require(FileManager.default.contents(atPath: Self.repositoryFile("Config/jobstatus.json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        func keys(_ object: [String: Any], under prefix: String) -> [String] {
            object.flatMap { key, value in
                (value as? [String: Any]).map { keys($0, under: "\(prefix)\(key).") } ?? ["\(prefix)\(key)"]
            }
        }
        let fileKeys = Set(keys(json, under: ""))
        let readme = try String(contentsOfFile: Self.repositoryFile("README.md"), encoding: .utf8)
        let tableKeys = Set(
            readme.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { return nil }
                return String(line[line.index(line.startIndex, offsetBy: 3)..<end])
            }
        )
        #expect(fileKeys.subtracting(tableKeys).isEmpty, "undocumented: \(fileKeys.subtracting(tableKeys))")
        // Keys without a default are documented but absent from the defaults file.
        for key in tableKeys.subtracting(fileKeys) {
            let row = readme.split(separator: "\n").first { $0.hasPrefix("| `\(key)`") } ?? ""
            #expect(row.contains("| none |"), "\(key) is documented with a default but missing from Config/jobstatus.json")
        }
        for key in tableKeys {
            #expect(readme.contains("`\(SettingsReader.environmentName(of: key))`"), "\(key) without its variable")
        }
    }

    static func repositoryFile(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(relative).path
    }
}

import RedisWire

enum RedisURLFixture {
    static let cache = RedisURL(host: "cache", port: 6380, user: nil, password: "pw", database: 3)
}
