import Foundation
import JWTKit
public import JobStatusConfiguration

/// Checks JWT bearer tokens (`auth.mode: jwt`): HS256, RS256 or ES256, keys from a JWKS file, a
/// PEM public key or an HMAC secret.
///
/// Keys are resolved once at start-up; each token is then checked synchronously on the event
/// loop: the signature by the key its `kid` names (or the only key) and whose algorithm matches
/// the token's `alg`, then `exp` and `nbf` (with `auth.jwt.leeway`), `iss` and `aud` when
/// configured, and `job:read` in the space-separated `scope`. The caller is `client_id`, else
/// `sub`. A token's signature and claims are never logged.
public final class JWTAuthenticator: Sendable {
    private let keysByID: [String: any JWTAlgorithm]
    private let defaultKey: (any JWTAlgorithm)?
    private let issuer: String?
    private let audience: String?
    private let leeway: Double

    private struct Claims: JWTPayload {
        var exp: Double?
        var nbf: Double?
        var iss: String?
        var aud: Audience?
        var scope: String?
        var scp: [String]?
        var client_id: String?
        var sub: String?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// `aud` is a string or a list of strings.
    private enum Audience: Codable, Sendable {
        case one(String)
        case many([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                self = .one(one)
            } else {
                self = .many(try container.decode([String].self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .one(let value): try container.encode(value)
            case .many(let values): try container.encode(values)
            }
        }

        func contains(_ value: String) -> Bool {
            switch self {
            case .one(let one): one == value
            case .many(let many): many.contains(value)
            }
        }
    }

    private init(keysByID: [String: any JWTAlgorithm], defaultKey: (any JWTAlgorithm)?, issuer: String?, audience: String?, leeway: Double) {
        self.keysByID = keysByID
        self.defaultKey = defaultKey
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }

    /// Loads the configured keys; every problem names its setting.
    public static func load(_ configuration: JWTSettings) async throws(ConfigurationError) -> JWTAuthenticator {
        let keys = JWTKeyCollection()
        var keysByID: [String: any JWTAlgorithm] = [:]
        var defaultKey: (any JWTAlgorithm)?
        do {
            if let secret = configuration.hmacSecret {
                await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
                defaultKey = try await keys.getKey()
            }
            if let path = configuration.publicKeyFile {
                guard let pem = FileManager.default.contents(atPath: path).map({ String(decoding: $0, as: UTF8.self) }) else {
                    throw ConfigurationError("cannot read auth.jwt.public_key_file (AUTH_JWT_PUBLIC_KEY_FILE) \(path)")
                }
                let collection = JWTKeyCollection()
                if let ecdsa = try? ES256PublicKey(pem: pem) {
                    await collection.add(ecdsa: ecdsa)
                } else if let rsa = try? Insecure.RSA.PublicKey(pem: pem) {
                    await collection.add(rsa: rsa, digestAlgorithm: .sha256)
                } else {
                    throw ConfigurationError("auth.jwt.public_key_file \(path) holds no P-256 or RSA public key in PEM")
                }
                if defaultKey == nil {
                    defaultKey = try await collection.getKey()
                }
            }
            if let path = configuration.jwksFile {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ConfigurationError("cannot read auth.jwt.jwks_file (AUTH_JWT_JWKS_FILE) \(path)")
                }
                let jwks = try JSONDecoder().decode(JWKS.self, from: data)
                for jwk in jwks.keys {
                    try await keys.add(jwk: jwk)
                    if let kid = jwk.keyIdentifier {
                        keysByID[kid.string] = try await keys.getKey(for: kid)
                    } else {
                        if defaultKey == nil {
                            defaultKey = try await keys.getKey(for: nil, alg: jwk.algorithm?.rawValue)
                        }
                    }
                }
                if defaultKey == nil && keysByID.count == 1 { defaultKey = keysByID.values.first }
            }
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError("cannot load the JWT keys: \(error)")
        }
        guard defaultKey != nil || !keysByID.isEmpty else {
            throw ConfigurationError(
                "auth.mode is jwt but no key is configured: set auth.jwt.jwks_file, auth.jwt.public_key_file or auth.jwt.hmac_secret"
            )
        }
        return JWTAuthenticator(
            keysByID: keysByID,
            defaultKey: defaultKey,
            issuer: configuration.issuer,
            audience: configuration.audience,
            leeway: Double(configuration.leeway.components.seconds)
        )
    }

    /// Decides who sent `authorization`; an allowed decision holds until `validUntil` (the token's
    /// `exp`, in seconds since the epoch).
    func authenticate(_ authorization: String?) -> (decision: AuthorizationDecision, validUntil: Double) {
        guard let authorization, let token = BearerToken.extract(authorization) else {
            return (.denied(.missingBearerToken), 0)
        }
        let bytes = Array(token.utf8)
        guard let claims = self.verifiedClaims(bytes) else { return (.denied(.invalidToken), 0) }
        let now = Date().timeIntervalSince1970
        guard let exp = claims.exp, now < exp + self.leeway else { return (.denied(.invalidToken), 0) }
        if let nbf = claims.nbf, now + self.leeway < nbf { return (.denied(.invalidToken), 0) }
        if let issuer = self.issuer, claims.iss != issuer { return (.denied(.invalidToken), 0) }
        if let audience = self.audience, claims.aud?.contains(audience) != true { return (.denied(.invalidToken), 0) }
        guard let identity = claims.client_id ?? claims.sub, !identity.isEmpty else { return (.denied(.invalidToken), 0) }
        let scopes = (claims.scope?.split(separator: " ").map(String.init) ?? []) + (claims.scp ?? [])
        guard scopes.contains(TokenAuthenticator.jobReadScope) else { return (.denied(.missingScope), exp + self.leeway) }
        return (.allowed(clientID: identity), exp + self.leeway)
    }

    private func verifiedClaims(_ token: [UInt8]) -> Claims? {
        // A JWS in compact form is three base64url parts, which have no padding (RFC 7515 §2):
        // a decoder that tolerates `=` would accept one token under several spellings.
        guard token.allSatisfy(Self.isCompactJWSByte) else { return nil }
        let parser = DefaultJWTParser()
        guard let (header, claims, signature) = try? parser.parse(token, as: Claims.self),
            let parts = try? parser.getTokenParts(token),
            let algorithmName = header.alg
        else { return nil }
        // `crit` names extensions the token must not be accepted without understanding
        // (RFC 7515 §4.1.11); this server understands none, so any `crit` (even a malformed or
        // empty one) refuses the token.
        guard header[dynamicMember: "crit"] == nil else { return nil }
        let key: (any JWTAlgorithm)?
        if let kid = header.kid {
            key = self.keysByID[kid]
        } else {
            key = self.defaultKey
        }
        // The key decides the algorithm: a token naming another one (alg confusion, "none") fails.
        guard let key, key.name == algorithmName else { return nil }
        let signed = Array(parts.header) + [UInt8(ascii: ".")] + Array(parts.payload)
        guard (try? key.verify(signature, signs: signed)) == true else { return nil }
        return claims
    }

    /// The base64url alphabet and the parts' separator.
    private static func isCompactJWSByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }
}
