import Foundation
import JWTKit
public import JobStatusConfiguration
public import Logging

/// Checks JWT bearer tokens (`auth.mode: jwt`): HS256, RS256 or ES256, keys from a JWKS file, a
/// PEM public key or an HMAC secret.
///
/// The keys are read at start-up and again when their files change (`CredentialReloader`): a
/// valid new set replaces the old one at once, an invalid one leaves it in use. Keys published at
/// `auth.jwt.jwks_url` come from `keySource`, beside the files' (a file's key wins a shared `kid`);
/// a token naming a `kid` neither has waits for a fetch when one may run. Each token is
/// checked synchronously on the event loop: the signature by the key its `kid` names (or the only
/// key) and whose algorithm matches the token's `alg`, then `exp` and `nbf` (with
/// `auth.jwt.leeway`), `iss` and `aud` when configured, and `job:read` in the space-separated
/// `scope`. The caller is `client_id`, else `sub`. A token's signature and claims are never logged.
public final class JWTAuthenticator: Sendable {
    private let configuration: JWTSettings
    private let keys: ReloadableCredentials<JWTKeySet>
    /// The keys at `auth.jwt.jwks_url`; nil when none is configured.
    public let keySource: JWKSSource?
    /// `auth.jwt.leeway` in seconds, as the claims' times are.
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

    private init(configuration: JWTSettings, keys: JWTKeySet, logger: Logger) {
        self.configuration = configuration
        self.keys = ReloadableCredentials(keys)
        self.keySource = configuration.jwksURL.map { JWKSSource(url: $0, settings: configuration, logger: logger) }
        self.leeway = Double(configuration.leeway.components.seconds)
    }

    /// Loads the configured key files; every problem names its setting. The keys at
    /// `auth.jwt.jwks_url` are fetched once `keySource` runs.
    public static func load(_ configuration: JWTSettings, logger: Logger = Logger(label: "jobstatus.auth")) async throws(ConfigurationError) -> JWTAuthenticator {
        JWTAuthenticator(configuration: configuration, keys: try await JWTKeySet.load(configuration), logger: logger)
    }

    /// Reads the key files again and puts the keys in use; files that cannot be read or hold no
    /// valid key change nothing and throw why. Returns the number of keys now in use.
    @discardableResult
    public func reload() async throws(ConfigurationError) -> Int {
        let keys = try await JWTKeySet.load(self.configuration)
        self.keys.replace(with: keys)
        return keys.count
    }

    /// The key files this authenticator reads, each with its setting's name.
    public var keyFiles: [(setting: String, path: String)] {
        [("auth.jwt.jwks_file", self.configuration.jwksFile), ("auth.jwt.public_key_file", self.configuration.publicKeyFile)]
            .compactMap { setting, path in path.map { (setting, $0) } }
    }

    /// The generation of the keys in use, the files' and the URL's (a decision made with an older
    /// one is stale). Both only grow, so their sum changes whenever either does.
    var generation: UInt64 { self.keys.generation &+ (self.keySource?.keys.generation ?? 0) }

    /// Decides who sent `authorization`; an allowed decision holds until `validUntil` (the token's
    /// `exp`, in seconds since the epoch). With `mayAwaitKeys`, a token naming a `kid` no key has
    /// is `.unknownKey` when a fetch of `auth.jwt.jwks_url` may bring it: the request waits for
    /// the fetch (`JWKSSource.awaitKeys`) and is decided again without.
    func authenticate(
        _ authorization: String?,
        mayAwaitKeys: Bool = false
    ) -> (decision: AuthorizationDecision, validUntil: Double, generation: UInt64) {
        let (files, filesGeneration) = self.keys.read()
        let (fetched, fetchedGeneration) = self.keySource?.keys.read() ?? (.empty, 0)
        let (decision, validUntil) = self.authenticate(authorization, with: files, fetched, mayAwaitKeys: mayAwaitKeys)
        return (decision, validUntil, filesGeneration &+ fetchedGeneration)
    }

    private func authenticate(
        _ authorization: String?,
        with files: JWTKeySet,
        _ fetched: JWTKeySet,
        mayAwaitKeys: Bool
    ) -> (decision: AuthorizationDecision, validUntil: Double) {
        guard let authorization, let token = BearerToken.extract(authorization) else {
            return (.denied(.missingBearerToken), 0)
        }
        let bytes = Array(token.utf8)
        let claims: Claims
        switch self.verifiedClaims(bytes, with: files, fetched) {
        case .verified(let verified):
            claims = verified
        case .invalid:
            return (.denied(.invalidToken), 0)
        case .unknownKey:
            guard let source = self.keySource else { return (.denied(.invalidToken), 0) }
            if mayAwaitKeys && source.mayAwaitKeys() { return (.unknownKey, 0) }
            // Never fetched: the token cannot be judged, which is not the caller's fault.
            return (.denied(source.health.loaded ? .invalidToken : .keysUnavailable), 0)
        }
        let now = Date().timeIntervalSince1970
        guard let exp = claims.exp, now < exp + self.leeway else { return (.denied(.invalidToken), 0) }
        if let nbf = claims.nbf, now + self.leeway < nbf { return (.denied(.invalidToken), 0) }
        if let issuer = self.configuration.issuer, claims.iss != issuer { return (.denied(.invalidToken), 0) }
        if let audience = self.configuration.audience, claims.aud?.contains(audience) != true { return (.denied(.invalidToken), 0) }
        guard let identity = claims.client_id ?? claims.sub, !identity.isEmpty else { return (.denied(.invalidToken), 0) }
        let scopes = (claims.scope?.split(separator: " ").map(String.init) ?? []) + (claims.scp ?? [])
        guard scopes.contains(TokenAuthenticator.jobReadScope) else { return (.denied(.missingScope), exp + self.leeway) }
        return (.allowed(clientID: identity), exp + self.leeway)
    }

    private enum Verification {
        case verified(Claims)
        case invalid
        /// A well-formed token naming a key no set has (yet).
        case unknownKey
    }

    private func verifiedClaims(_ token: [UInt8], with files: JWTKeySet, _ fetched: JWTKeySet) -> Verification {
        // A JWS in compact form is three base64url parts, which have no padding (RFC 7515 §2):
        // a decoder that tolerates `=` would accept one token under several spellings.
        guard token.allSatisfy(Self.isCompactJWSByte) else { return .invalid }
        let parser = DefaultJWTParser()
        guard let (header, claims, signature) = try? parser.parse(token, as: Claims.self),
            let parts = try? parser.getTokenParts(token),
            let algorithmName = header.alg
        else { return .invalid }
        // `crit` names extensions the token must not be accepted without understanding
        // (RFC 7515 §4.1.11); this server understands none, so any `crit` (even a malformed or
        // empty one) refuses the token.
        guard header[dynamicMember: "crit"] == nil else { return .invalid }
        guard let key = files.key(for: header.kid) ?? fetched.key(for: header.kid) else { return .unknownKey }
        // The key decides the algorithm: a token naming another one (alg confusion, "none") fails.
        guard key.name == algorithmName else { return .invalid }
        let signed = Array(parts.header) + [UInt8(ascii: ".")] + Array(parts.payload)
        guard (try? key.verify(signature, signs: signed)) == true else { return .invalid }
        return .verified(claims)
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
