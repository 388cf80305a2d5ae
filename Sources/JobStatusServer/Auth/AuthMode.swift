/// How the front decides who is calling.
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

/// The configured way of deciding who calls, ready to use.
public enum Authentication: Sendable {
    case none
    case tokens(TokenAuthenticator)
    case jwt(JWTAuthenticator)
    case gateway(GatewayAuthenticator)
}
