import JobStatusCore
import NIOCore
public import RedisWire

/// Everything `jobstatus serve` can be configured with.
///
/// Read from swift-configuration with `init(settings:)`; every key is listed in the README's
/// configuration table and in `Config/jobstatus.json`, whose values must equal the defaults here
/// (a test checks it).
public struct ServerConfiguration: Sendable {
    /// `http.host`: the address to listen on.
    public var host = "0.0.0.0"
    /// `http.port`.
    public var port = 8080
    /// `http.threads`: event loops (0 = one per core). Each owns its own Redis connection.
    public var threads = 0
    /// `http.header_timeout`: a request must be complete this long after its first byte.
    public var headerTimeout: Duration = .seconds(10)
    /// `http.idle_timeout`: a keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration = .seconds(60)
    /// `http.write_timeout`: output a client leaves unread this long closes its connection.
    public var writeTimeout: Duration = .seconds(10)
    /// `http.max_header_size`: the largest request head (request line and headers), in bytes.
    public var maxHeaderSize = 16_384
    /// `http.shutdown_timeout`: how long in-flight requests may take to finish on SIGTERM.
    public var shutdownTimeout: Duration = .seconds(10)
    /// `http.trust_forwarded_headers`: build `meta.url` from `X-Forwarded-Proto`/`X-Forwarded-Host`.
    public var trustForwardedHeaders = false
    /// `http.location_header`: add `Location` (the first link) to 303 answers.
    public var locationHeader = false
    /// `redis.url`: one URL, or (`redis.mode: cluster`) comma-separated seed nodes, or
    /// (`redis.mode: sentinel`) comma-separated sentinels. The URLs of servers carry the
    /// credentials of `redis.username` and `redis.password`; those of sentinels their own.
    public var redisURLs = [RedisURL(host: "127.0.0.1")]
    /// `redis.mode`: one Redis server, a Redis Cluster, or a master watched by Redis Sentinel.
    public var redisMode: RedisMode = .standalone
    /// `redis.sentinel.master`: with `redis.mode: sentinel`, the name the sentinels monitor the master under.
    public var sentinelMaster: String?
    /// `redis.username` and `redis.password`: the data nodes' credentials (also in `redisURLs`,
    /// except with Sentinel, whose URLs are the sentinels').
    public var redisUsername: String?
    public var redisPassword: String?
    /// `redis.db`: the database of a standalone Redis or a sentinel master (0: the URL's, or 0).
    public var redisDatabase = 0
    /// `redis.read_from`: in a cluster or with Sentinel, send polls to a primary or to a replica.
    public var readFrom: ReadFrom = .primary
    /// `redis.timeout`: how long a Redis command may take before the poll answers 503.
    public var redisTimeout: Duration = .seconds(1)
    /// `redis.heartbeat`: a Redis connection without traffic this long sends a `PING`, and is
    /// reconnected when no reply comes within `redis.timeout` (0: never).
    public var redisHeartbeat: Duration = .seconds(15)
    /// `redis.tls.*`: how `rediss://` connections verify the server and present a client
    /// certificate; nil with `redis://`.
    public var redisTLS: RedisTLSConfiguration?
    /// `redis.password_file`: the password, read again at every (re)connect.
    public var redisPasswordFile: String?
    /// `jobs.key_prefix`: the job key is this prefix followed by the id.
    public var keyPrefix = "job:"
    /// `auth.mode`.
    public var authMode: AuthMode = .tokens
    /// `auth.tokens_file`: the tokens file for `auth.mode: tokens`.
    public var tokensFile: String?
    /// `auth.jwt.*`: keys and expected claims for `auth.mode: jwt`.
    public var jwt = JWTConfiguration()
    /// `auth.gateway.psk`: the pre-shared key an API gateway sends in `X-Custom-PSK`.
    public var gatewayPSK: String?
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
    /// `log.access`: one log line per answered request.
    public var accessLog = false
    /// `metrics.port`: 0 serves `/metrics` on `http.port`; another port serves it (and health)
    /// there only, for operators.
    public var metricsPort = 0
    /// `metrics.enabled`: collect and serve metrics at all.
    public var metricsEnabled = true
    /// `limits.rate`: requests per second per client (0: no rate limit).
    public var rateLimit = 1000
    /// `limits.burst`: requests a client may send at once above its rate.
    public var rateBurst = 2000
    /// `limits.max_connections`: open HTTP connections per instance; more are closed at once.
    public var maxConnections = 20_000
    /// `limits.max_connections_per_address`: open HTTP connections one peer address may hold
    /// per instance; more from it are closed at once (0: no bound). Off by default: behind a load
    /// balancer every connection comes from the balancer's few addresses.
    public var maxConnectionsPerAddress = 0
    /// `limits.max_waiters_per_client`: long polls and event streams one client may hold open.
    public var maxWaitersPerClient = 1000

    public init() {}

    /// Reads every key, failing on the first value that is present but unusable.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = ServerConfiguration()
        self.host = settings.string("http.host", default: defaults.host)
        self.port = try settings.int("http.port", default: defaults.port, in: 0...65535)
        self.threads = try settings.int("http.threads", default: defaults.threads, in: 0...1024)
        self.headerTimeout = try settings.duration("http.header_timeout", default: defaults.headerTimeout)
        self.idleTimeout = try settings.duration("http.idle_timeout", default: defaults.idleTimeout)
        self.writeTimeout = try settings.duration("http.write_timeout", default: defaults.writeTimeout)
        self.maxHeaderSize = try settings.int("http.max_header_size", default: defaults.maxHeaderSize, in: 1024...1_048_576)
        self.shutdownTimeout = try settings.duration("http.shutdown_timeout", default: defaults.shutdownTimeout)
        self.trustForwardedHeaders = try settings.bool("http.trust_forwarded_headers", default: defaults.trustForwardedHeaders)
        self.locationHeader = try settings.bool("http.location_header", default: defaults.locationHeader)
        try self.readRedisSettings(settings)
        self.keyPrefix = settings.string("jobs.key_prefix", default: defaults.keyPrefix)
        self.authMode = try settings.choice("auth.mode", default: defaults.authMode)
        self.tokensFile = settings.optionalString("auth.tokens_file")
        self.jwt.jwksFile = settings.optionalString("auth.jwt.jwks_file")
        self.jwt.publicKeyFile = settings.optionalString("auth.jwt.public_key_file")
        self.jwt.hmacSecret = settings.optionalString("auth.jwt.hmac_secret", isSecret: true)
        self.jwt.issuer = settings.optionalString("auth.jwt.issuer")
        self.jwt.audience = settings.optionalString("auth.jwt.audience")
        self.jwt.leeway = try settings.duration("auth.jwt.leeway", default: defaults.jwt.leeway)
        self.gatewayPSK = settings.optionalString("auth.gateway.psk", isSecret: true)
        self.maxWait = try settings.duration("polling.max_wait", default: defaults.maxWait)
        self.retryAfterMin = try settings.duration("polling.retry_after_min", default: defaults.retryAfterMin)
        self.retryAfterMax = try settings.duration("polling.retry_after_max", default: defaults.retryAfterMax)
        self.terminalMaxAge = try settings.duration("polling.terminal_max_age", default: defaults.terminalMaxAge)
        self.heartbeat = try settings.duration("polling.heartbeat", default: defaults.heartbeat)
        self.maxBatch = try settings.int("polling.max_batch", default: defaults.maxBatch, in: 1...Self.maxBatchLimit)
        self.accessLog = try settings.bool("log.access", default: defaults.accessLog)
        self.metricsPort = try settings.int("metrics.port", default: defaults.metricsPort, in: 0...65535)
        self.metricsEnabled = try settings.bool("metrics.enabled", default: defaults.metricsEnabled)
        self.rateLimit = try settings.int("limits.rate", default: defaults.rateLimit, in: 0...10_000_000)
        self.rateBurst = try settings.int("limits.burst", default: defaults.rateBurst, in: 1...10_000_000)
        self.maxConnections = try settings.int("limits.max_connections", default: defaults.maxConnections, in: 1...10_000_000)
        self.maxConnectionsPerAddress = try settings.int(
            "limits.max_connections_per_address",
            default: defaults.maxConnectionsPerAddress,
            in: 0...10_000_000
        )
        self.maxWaitersPerClient = try settings.int(
            "limits.max_waiters_per_client",
            default: defaults.maxWaitersPerClient,
            in: 0...10_000_000
        )
        try self.validate()
    }

    /// Makes the configured authentication: reads the tokens file or the JWT keys.
    public func loadAuthentication() async throws(ConfigurationError) -> Authentication {
        switch self.authMode {
        case .none:
            return .none
        case .tokens:
            return .tokens(try TokenAuthenticator(contentsOfFile: self.tokensFile ?? ""))
        case .jwt:
            return .jwt(try await JWTAuthenticator.load(self.jwt))
        case .gateway:
            return .gateway(GatewayAuthenticator(presharedKey: self.gatewayPSK ?? ""))
        }
    }

    /// Reads every `redis.*` key: the one way the front and the writer subcommands learn where
    /// Redis is and how to reach it.
    public mutating func readRedisSettings(_ settings: SettingsReader) throws(ConfigurationError) {
        let defaults = ServerConfiguration()
        self.redisMode = try settings.choice("redis.mode", default: defaults.redisMode)
        self.redisUsername = settings.optionalString("redis.username")
        self.redisPassword = settings.optionalString("redis.password", isSecret: true)
        self.redisDatabase = try settings.int("redis.db", default: defaults.redisDatabase, in: 0...1_000_000)
        self.redisURLs = try self.redisURLs(settings)
        self.sentinelMaster = try self.sentinelMaster(settings)
        self.readFrom = try settings.choice("redis.read_from", default: defaults.readFrom)
        self.redisTimeout = try settings.duration("redis.timeout", default: defaults.redisTimeout)
        self.redisHeartbeat = try settings.duration("redis.heartbeat", default: defaults.redisHeartbeat)
        self.redisTLS = try Self.redisTLS(settings, urls: self.redisURLs)
        self.redisPasswordFile = try Self.redisPasswordFile(settings)
    }

    /// `redis.url` (`REDIS_URL`), parsed: one URL, or comma-separated cluster seeds (with the
    /// credentials of `redis.username` and `redis.password` and the database of `redis.db`, when
    /// set), or comma-separated sentinels (as they are).
    private func redisURLs(_ settings: SettingsReader) throws(ConfigurationError) -> [RedisURL] {
        let mode = self.redisMode
        let text = settings.string("redis.url", default: "redis://127.0.0.1:6379", isSecret: true)
        var urls: [RedisURL] = []
        for part in text.split(separator: ",") {
            do {
                urls.append(try RedisURL(parsing: String(part.trimmingBlanks())))
            } catch {
                throw ConfigurationError("redis.url (REDIS_URL): \(error)")
            }
        }
        guard !urls.isEmpty else { throw ConfigurationError("redis.url (REDIS_URL) is empty") }
        if mode == .standalone && urls.count > 1 {
            throw ConfigurationError(
                "redis.url (REDIS_URL) lists several servers; set redis.mode (REDIS_MODE) to cluster for a Redis Cluster, or to sentinel for sentinels"
            )
        }
        if urls.contains(where: { $0.tls != urls[0].tls }) {
            throw ConfigurationError("redis.url (REDIS_URL) mixes redis:// and rediss://; every node speaks TLS or none does")
        }
        switch mode {
        case .sentinel:
            if urls.contains(where: { $0.database != 0 }) {
                throw ConfigurationError("redis.url (REDIS_URL) lists sentinels, which have no database: set redis.db (REDIS_DB) for the master's")
            }
            return urls
        case .cluster:
            if self.redisDatabase != 0 || urls.contains(where: { $0.database != 0 }) {
                throw ConfigurationError("redis.url (REDIS_URL), redis.db (REDIS_DB): a Redis Cluster has only database 0")
            }
        case .standalone:
            if self.redisDatabase != 0 && urls[0].database != 0 && urls[0].database != self.redisDatabase {
                throw ConfigurationError("redis.url (REDIS_URL) names database \(urls[0].database) and redis.db (REDIS_DB) \(self.redisDatabase); set one")
            }
        }
        return urls.map { url in
            var url = url
            if let user = self.redisUsername { url.user = user }
            if let password = self.redisPassword { url.password = password }
            if self.redisDatabase != 0 { url.database = self.redisDatabase }
            return url
        }
    }

    /// `redis.sentinel.master` (`REDIS_SENTINEL_MASTER`): required with Sentinel, refused without.
    private func sentinelMaster(_ settings: SettingsReader) throws(ConfigurationError) -> String? {
        let name = settings.optionalString("redis.sentinel.master")
        switch (self.redisMode, name) {
        case (.sentinel, nil), (.sentinel, ""):
            throw ConfigurationError(
                "redis.mode is sentinel but redis.sentinel.master (REDIS_SENTINEL_MASTER) is not set: set it to the name the sentinels monitor the master under"
            )
        case (.sentinel, _), (_, nil):
            return name
        case (_, _?):
            throw ConfigurationError("redis.sentinel.master (REDIS_SENTINEL_MASTER) is set but redis.mode (REDIS_MODE) is not sentinel")
        }
    }

    /// `redis.tls.*` (`REDIS_TLS_*`): nil unless the URLs are `rediss://`, where a TLS setting
    /// would otherwise be ignored without a word.
    private static func redisTLS(_ settings: SettingsReader, urls: [RedisURL]) throws(ConfigurationError) -> RedisTLSConfiguration? {
        let tls = RedisTLSConfiguration(
            caFile: settings.optionalString("redis.tls.ca_file"),
            certificateFile: settings.optionalString("redis.tls.cert_file"),
            keyFile: settings.optionalString("redis.tls.key_file"),
            serverName: settings.optionalString("redis.tls.server_name"),
            verification: try settings.choice("redis.tls.verify", default: RedisTLSConfiguration.Verification.full)
        )
        guard urls.first?.tls == true else {
            if tls != RedisTLSConfiguration() {
                throw ConfigurationError("redis.tls.* is set but redis.url (REDIS_URL) is redis://; use rediss:// for TLS")
            }
            return nil
        }
        if let problem = tls.problem {
            throw ConfigurationError(problem)
        }
        return tls
    }

    /// `redis.password_file` (`REDIS_PASSWORD_FILE`); exclusive with `redis.password`, so that
    /// which one wins is never a question.
    private static func redisPasswordFile(_ settings: SettingsReader) throws(ConfigurationError) -> String? {
        let file = settings.optionalString("redis.password_file")
        if file != nil && settings.optionalString("redis.password", isSecret: true) != nil {
            throw ConfigurationError("set redis.password (REDIS_PASSWORD) or redis.password_file (REDIS_PASSWORD_FILE), not both")
        }
        return file
    }

    /// Where Redis is and how patient to be with it.
    public var redisDeployment: RedisDeployment {
        let connection = RedisConnectionConfiguration(
            url: self.redisURLs[0],
            commandTimeout: TimeAmount(self.redisTimeout),
            heartbeat: self.redisHeartbeat > .zero ? TimeAmount(self.redisHeartbeat) : nil,
            tls: self.redisTLS,
            passwordFile: self.redisPasswordFile
        )
        switch self.redisMode {
        case .standalone:
            return .standalone(connection)
        case .cluster:
            return .cluster(RedisClusterConfiguration(seeds: self.redisURLs, connection: connection, readFromReplicas: self.readFrom == .replica))
        case .sentinel:
            var master = connection
            let masterName = self.sentinelMaster ?? ""
            // The master's address comes from the sentinels; its URL carries how to log in to it.
            master.url = RedisURL(
                host: masterName,
                user: self.redisUsername,
                password: self.redisPassword,
                database: self.redisDatabase,
                tls: self.redisURLs[0].tls
            )
            master.sentinel = RedisSentinelConfiguration(sentinels: self.redisURLs, masterName: masterName)
            return .sentinel(master, readFromReplicas: self.readFrom == .replica)
        }
    }

    private func validate() throws(ConfigurationError) {
        for (key, duration) in [
            ("http.header_timeout", self.headerTimeout), ("http.idle_timeout", self.idleTimeout),
            ("http.write_timeout", self.writeTimeout), ("redis.timeout", self.redisTimeout), ("polling.heartbeat", self.heartbeat),
        ] where duration <= .zero {
            throw .invalid(key, DurationText.format(duration), expected: "a duration above zero")
        }
        if self.retryAfterMin > self.retryAfterMax {
            throw ConfigurationError("polling.retry_after_min must not exceed polling.retry_after_max")
        }
        if self.authMode == .jwt && self.jwt.jwksFile == nil && self.jwt.publicKeyFile == nil && self.jwt.hmacSecret == nil {
            throw ConfigurationError(
                "auth.mode is jwt but no key is set: set auth.jwt.jwks_file (AUTH_JWT_JWKS_FILE), auth.jwt.public_key_file (AUTH_JWT_PUBLIC_KEY_FILE) or auth.jwt.hmac_secret (AUTH_JWT_HMAC_SECRET)"
            )
        }
        if self.authMode == .gateway && (self.gatewayPSK?.count ?? 0) < 16 {
            throw ConfigurationError("auth.mode is gateway but auth.gateway.psk (AUTH_GATEWAY_PSK) is not set to a key of at least 16 characters")
        }
        if self.authMode == .tokens && self.tokensFile == nil {
            throw ConfigurationError(
                "auth.mode is tokens but auth.tokens_file (AUTH_TOKENS_FILE) is not set; point it at a tokens file, or set auth.mode to none for local development"
            )
        }
    }
}
