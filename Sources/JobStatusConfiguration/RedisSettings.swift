import JobStatusCore
import NIOCore
public import RedisWire

/// `redis.*`: where Redis is, how to log in and speak TLS to it, and how patient to be. The one
/// way the front and the writer subcommands learn it.
public struct RedisSettings: Sendable {
    /// `redis.url`: one URL, or (`redis.mode: cluster`) comma-separated seed nodes, or
    /// (`redis.mode: sentinel`) comma-separated sentinels. The URLs of servers carry the
    /// credentials of `redis.username` and `redis.password`; those of sentinels their own.
    public var urls = [RedisURL(host: "127.0.0.1")]
    /// `redis.mode`: one Redis server, a Redis Cluster, or a master watched by Redis Sentinel.
    public var mode: RedisMode = .standalone
    /// `redis.sentinel.master`: with `redis.mode: sentinel`, the name the sentinels monitor the master under.
    public var sentinelMaster: String?
    /// `redis.username` and `redis.password`: the data nodes' credentials (also in `urls`,
    /// except with Sentinel, whose URLs are the sentinels').
    public var username: String?
    public var password: String?
    /// `redis.db`: the database of a standalone Redis or a sentinel master (0: the URL's, or 0).
    public var database = 0
    /// `redis.read_from`: in a cluster or with Sentinel, send polls to a primary or to a replica.
    public var readFrom: ReadFrom = .primary
    /// `redis.cluster_notifications`: in a cluster, how the front subscribes to the write script's
    /// notifications (sharded on Redis 7+; `both` while writers are upgraded; `classic` on Redis 6).
    public var clusterNotifications: RedisNotifications = .sharded
    /// `redis.timeout`: how long a Redis command may take before the poll answers 503.
    public var timeout: Duration = .seconds(1)
    /// `redis.heartbeat`: a Redis connection without traffic this long sends a `PING`, and is
    /// reconnected when no reply comes within `redis.timeout` (0: never).
    public var heartbeat: Duration = .seconds(15)
    /// `redis.tls.*`: how `rediss://` connections verify the server and present a client
    /// certificate; nil with `redis://`.
    public var tls: RedisTLSConfiguration?
    /// `redis.password_file`: the password, read again at every (re)connect.
    public var passwordFile: String?

    public init() {}

    /// Reads the `redis` scope, failing on the first value that is present but unusable.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = Self()
        self.mode = try settings.choice("mode", default: defaults.mode)
        self.username = settings.optionalString("username")
        self.password = settings.optionalString("password", isSecret: true)
        self.database = try settings.int("db", default: defaults.database, in: 0...1_000_000)
        self.urls = try self.urls(settings)
        self.sentinelMaster = try self.sentinelMaster(settings)
        self.readFrom = try settings.choice("read_from", default: defaults.readFrom)
        self.clusterNotifications = try settings.choice("cluster_notifications", default: defaults.clusterNotifications)
        self.timeout = try settings.positiveDuration("timeout", default: defaults.timeout)
        self.heartbeat = try settings.duration("heartbeat", default: defaults.heartbeat)
        self.tls = try Self.tls(settings.scoped(to: "tls"), urls: self.urls)
        self.passwordFile = try self.passwordFile(settings)
    }

    /// `redis.url` (`REDIS_URL`), parsed: one URL, or comma-separated cluster seeds (with the
    /// credentials of `redis.username` and `redis.password` and the database of `redis.db`, when
    /// set), or comma-separated sentinels (as they are).
    private func urls(_ settings: SettingsReader) throws(ConfigurationError) -> [RedisURL] {
        let mode = self.mode
        let text = settings.string("url", default: "redis://127.0.0.1:6379", isSecret: true)
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
            if self.database != 0 || urls.contains(where: { $0.database != 0 }) {
                throw ConfigurationError("redis.url (REDIS_URL), redis.db (REDIS_DB): a Redis Cluster has only database 0")
            }
        case .standalone:
            if self.database != 0 && urls[0].database != 0 && urls[0].database != self.database {
                throw ConfigurationError("redis.url (REDIS_URL) names database \(urls[0].database) and redis.db (REDIS_DB) \(self.database); set one")
            }
        }
        return urls.map { url in
            var url = url
            if let user = self.username { url.user = user }
            if let password = self.password { url.password = password }
            if self.database != 0 { url.database = self.database }
            return url
        }
    }

    /// `redis.sentinel.master` (`REDIS_SENTINEL_MASTER`): required with Sentinel, refused without.
    private func sentinelMaster(_ settings: SettingsReader) throws(ConfigurationError) -> String? {
        let name = settings.optionalString("sentinel.master")
        switch (self.mode, name) {
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
    private static func tls(_ settings: SettingsReader, urls: [RedisURL]) throws(ConfigurationError) -> RedisTLSConfiguration? {
        let tls = RedisTLSConfiguration(
            caFile: settings.optionalString("ca_file"),
            certificateFile: settings.optionalString("cert_file"),
            keyFile: settings.optionalString("key_file"),
            serverName: settings.optionalString("server_name"),
            verification: try settings.choice("verify", default: RedisTLSConfiguration.Verification.full)
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
    private func passwordFile(_ settings: SettingsReader) throws(ConfigurationError) -> String? {
        let file = settings.optionalString("password_file")
        if file != nil && self.password != nil {
            throw ConfigurationError("set redis.password (REDIS_PASSWORD) or redis.password_file (REDIS_PASSWORD_FILE), not both")
        }
        return file
    }

    /// Where Redis is and how patient to be with it.
    public var deployment: RedisDeployment {
        let connection = RedisConnectionConfiguration(
            url: self.urls[0],
            commandTimeout: TimeAmount(self.timeout),
            heartbeat: self.heartbeat > .zero ? TimeAmount(self.heartbeat) : nil,
            tls: self.tls,
            passwordFile: self.passwordFile
        )
        switch self.mode {
        case .standalone:
            return .standalone(connection)
        case .cluster:
            return .cluster(
                RedisClusterConfiguration(
                    seeds: self.urls,
                    connection: connection,
                    readFromReplicas: self.readFrom == .replica,
                    notifications: self.clusterNotifications
                )
            )
        case .sentinel:
            var master = connection
            let masterName = self.sentinelMaster ?? ""
            // The master's address comes from the sentinels; its URL carries how to log in to it.
            master.url = RedisURL(
                host: masterName,
                user: self.username,
                password: self.password,
                database: self.database,
                tls: self.urls[0].tls
            )
            master.sentinel = RedisSentinelConfiguration(sentinels: self.urls, masterName: masterName)
            return .sentinel(master, readFromReplicas: self.readFrom == .replica)
        }
    }
}
