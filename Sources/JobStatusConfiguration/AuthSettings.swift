import JobStatusCore

/// How the front decides who is calling (`auth.mode`).
public enum AuthMode: String, Sendable, CaseIterable {
    /// Bearer tokens checked against the tokens file (SHA-256 digests, never the tokens).
    case tokens
    /// JWT bearer tokens (HS256, RS256, ES256) checked against the configured keys and claims.
    case jwt
    /// Behind an API gateway: `X-Consumer-ID`, believed with the pre-shared key.
    case gateway
    /// No authorization and no ownership checks: for local development only.
    case none
}

/// `auth.*`: the mode and what it needs — the tokens file, the JWT keys and claims, the
/// gateway's key. Reading it checks that the chosen mode has what it needs.
public struct AuthSettings: Sendable {
    /// `auth.mode`.
    public var mode: AuthMode = .tokens
    /// `auth.tokens_file`: the tokens file for `auth.mode: tokens`.
    public var tokensFile: String?
    /// `auth.jwt.*`: keys and expected claims for `auth.mode: jwt`.
    public var jwt = JWTSettings()
    /// `auth.gateway.psk`: the pre-shared key an API gateway sends in `X-Custom-PSK`.
    public var gatewayPSK: String?
    /// `auth.reload_interval`: how often the tokens file and the JWT key files are looked at for
    /// changes (a changed file is read again and, when valid, used at once); `0s` looks only on
    /// `SIGHUP`.
    public var reloadInterval: Duration = .seconds(1)

    public init() {}

    /// Reads the `auth` scope.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = Self()
        self.mode = try settings.choice("mode", default: defaults.mode)
        self.tokensFile = settings.optionalString("tokens_file")
        self.jwt = try JWTSettings(settings: settings.scoped(to: "jwt"))
        self.gatewayPSK = settings.optionalString("gateway.psk", isSecret: true)
        self.reloadInterval = try settings.duration("reload_interval", default: defaults.reloadInterval)
        switch self.mode {
        case .jwt where self.jwt.jwksFile == nil && self.jwt.jwksURL == nil && self.jwt.publicKeyFile == nil && self.jwt.hmacSecret == nil:
            throw ConfigurationError(
                "auth.mode is jwt but no key is set: set auth.jwt.jwks_url (AUTH_JWT_JWKS_URL), auth.jwt.jwks_file (AUTH_JWT_JWKS_FILE), auth.jwt.public_key_file (AUTH_JWT_PUBLIC_KEY_FILE) or auth.jwt.hmac_secret (AUTH_JWT_HMAC_SECRET)"
            )
        case .gateway where (self.gatewayPSK?.count ?? 0) < 16:
            throw ConfigurationError("auth.mode is gateway but auth.gateway.psk (AUTH_GATEWAY_PSK) is not set to a key of at least 16 characters")
        case .tokens where self.tokensFile == nil:
            throw ConfigurationError(
                "auth.mode is tokens but auth.tokens_file (AUTH_TOKENS_FILE) is not set; point it at a tokens file, or set auth.mode to none for local development"
            )
        case .tokens, .jwt, .gateway, .none:
            break
        }
    }
}

/// `auth.jwt.*`: where the verification keys are, and the claims a token must carry.
public struct JWTSettings: Sendable {
    public var jwksFile: String?
    /// `auth.jwt.jwks_url`: where the identity provider publishes its keys; https, or http to a
    /// loopback address (a sidecar, a test).
    public var jwksURL: JWKSURL?
    /// How long a fetched key set is used before it is fetched again: its `Cache-Control`
    /// max-age, raised to `jwksCacheMin` and lowered to `jwksCacheMax` (without one, `jwksCacheMax`).
    public var jwksCacheMin: Duration = .seconds(60)
    public var jwksCacheMax: Duration = .seconds(3600)
    /// The least time between two fetches a token's unknown `kid` starts: forged kids cannot
    /// become a storm of fetches. A failed fetch is also retried after this long.
    public var jwksMinRefresh: Duration = .seconds(10)
    /// How long one fetch may take, connection included; requests waiting for it wait at most this.
    public var jwksTimeout: Duration = .seconds(5)
    public var publicKeyFile: String?
    public var hmacSecret: String?
    public var issuer: String?
    public var audience: String?
    /// Clock skew allowed on `exp` and `nbf`.
    public var leeway: Duration = .seconds(30)

    public init() {}

    /// Reads the `auth.jwt` scope.
    public init(settings: SettingsReader) throws(ConfigurationError) {
        let defaults = Self()
        self.jwksFile = settings.optionalString("jwks_file")
        if let url = settings.optionalString("jwks_url") {
            guard let parsed = JWKSURL(url) else {
                throw .invalid(
                    settings.fullKey("jwks_url"),
                    url,
                    expected: "an https URL, or an http URL to a loopback address (127.0.0.1, ::1, localhost)"
                )
            }
            self.jwksURL = parsed
        }
        self.jwksCacheMin = try settings.positiveDuration("jwks_cache_min", default: defaults.jwksCacheMin)
        self.jwksCacheMax = try settings.positiveDuration("jwks_cache_max", default: defaults.jwksCacheMax)
        guard self.jwksCacheMin <= self.jwksCacheMax else {
            throw ConfigurationError(
                "auth.jwt.jwks_cache_min (\(DurationText.format(self.jwksCacheMin))) is above auth.jwt.jwks_cache_max (\(DurationText.format(self.jwksCacheMax)))"
            )
        }
        self.jwksMinRefresh = try settings.positiveDuration("jwks_min_refresh", default: defaults.jwksMinRefresh)
        self.jwksTimeout = try settings.positiveDuration("jwks_timeout", default: defaults.jwksTimeout)
        self.publicKeyFile = settings.optionalString("public_key_file")
        self.hmacSecret = settings.optionalString("hmac_secret", isSecret: true)
        self.issuer = settings.optionalString("issuer")
        self.audience = settings.optionalString("audience")
        self.leeway = try settings.duration("leeway", default: defaults.leeway)
    }
}
