public import JobStatusConfiguration
public import Logging

/// The configured way of deciding who calls, ready to use.
public enum Authentication: Sendable {
    case none
    case tokens(TokenAuthenticator)
    case jwt(JWTAuthenticator)
    case gateway(GatewayAuthenticator)
}

extension AuthSettings {
    /// Makes the configured authentication: reads the tokens file or the JWT keys.
    public func loadAuthentication(logger: Logger) async throws(ConfigurationError) -> Authentication {
        switch self.mode {
        case .none:
            return .none
        case .tokens:
            return .tokens(try TokenAuthenticator(contentsOfFile: self.tokensFile ?? ""))
        case .jwt:
            return .jwt(try await JWTAuthenticator.load(self.jwt, logger: logger))
        case .gateway:
            return .gateway(GatewayAuthenticator(presharedKey: self.gatewayPSK ?? ""))
        }
    }
}

extension Authentication {
    /// The keys fetched from `auth.jwt.jwks_url`, a service to run beside the server; nil without one.
    public var keySource: JWKSSource? {
        guard case .jwt(let jwt) = self else { return nil }
        return jwt.keySource
    }
}
