import NIOSSL

/// How a `rediss://` connection proves who the server is, and who we are.
///
/// The files are read again each time a connection is established (off the event loop), so a
/// certificate or CA bundle rotated on disk is picked up at the next reconnect without a restart.
public struct RedisTLSConfiguration: Sendable, Equatable {
    /// What the server's certificate must satisfy.
    public enum Verification: String, Sendable, Equatable, CaseIterable {
        /// A chain to a trusted CA, naming the host connected to (or `serverName`).
        case full
        /// A chain to a trusted CA, whatever it names: cluster nodes announce themselves by IP
        /// address in `MOVED` and `CLUSTER SLOTS`, which certificates rarely list.
        case ca
        /// Anything, even a self-signed certificate: development only.
        case none
    }

    /// PEM CA bundle to trust; nil: the system's trust store.
    public var caFile: String?
    /// PEM client certificate (chain) for servers with `tls-auth-clients yes`.
    public var certificateFile: String?
    /// PEM private key of `certificateFile`.
    public var keyFile: String?
    /// The name to verify and to send as SNI; nil: the URL's host (no SNI when it is an address).
    public var serverName: String?
    public var verification: Verification

    public init(
        caFile: String? = nil,
        certificateFile: String? = nil,
        keyFile: String? = nil,
        serverName: String? = nil,
        verification: Verification = .full
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.verification = verification
    }

    /// Why these settings cannot work, checked once at start-up; nil when they can.
    public var problem: String? {
        switch (self.certificateFile, self.keyFile) {
        case (.some, nil): "redis.tls.cert_file is set without redis.tls.key_file"
        case (nil, .some): "redis.tls.key_file is set without redis.tls.cert_file"
        default: nil
        }
    }

    /// Reads the files and builds the context; blocking, so never call it on an event loop.
    func makeContext() throws(RedisConnectFailure) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = switch self.verification {
        case .full: .fullVerification
        case .ca: .noHostnameVerification
        case .none: .none
        }
        if let caFile = self.caFile {
            tls.trustRoots = .certificates(try Self.certificates("redis.tls.ca_file", caFile))
        }
        if let certificateFile = self.certificateFile, let keyFile = self.keyFile {
            let chain = try Self.certificates("redis.tls.cert_file", certificateFile)
            let key = try Self.load("redis.tls.key_file", keyFile) { try NIOSSLPrivateKey(file: $0, format: .pem) }
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(key)
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw RedisConnectFailure("cannot use the TLS settings: \(error) (does redis.tls.key_file belong to redis.tls.cert_file?)")
        }
    }

    /// The name sent as SNI and verified: NIOSSL forbids an IP address in SNI, and with none it
    /// verifies the certificate against the peer's address instead.
    func serverHostname(for url: RedisURL) -> String? {
        if let serverName = self.serverName { return serverName }
        return url.hostIsAddress ? nil : url.host
    }

    private static func certificates(_ setting: String, _ path: String) throws(RedisConnectFailure) -> [NIOSSLCertificate] {
        let certificates = try Self.load(setting, path) { try NIOSSLCertificate.fromPEMFile($0) }
        guard !certificates.isEmpty else {
            throw RedisConnectFailure("\(setting) \(path) holds no PEM certificate")
        }
        return certificates
    }

    private static func load<Value>(
        _ setting: String,
        _ path: String,
        _ read: (String) throws -> Value
    ) throws(RedisConnectFailure) -> Value {
        do {
            return try read(path)
        } catch {
            let reason = SecretFile.unreadableReason(path: path) ?? "it is not PEM (\(error))"
            throw RedisConnectFailure("cannot read \(setting) \(path): \(reason)")
        }
    }
}
