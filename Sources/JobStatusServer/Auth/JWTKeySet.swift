import Foundation
import JWTKit
import JobStatusConfiguration

/// The JWT verification keys in use: by `kid`, and the key for tokens that name none.
struct JWTKeySet: Sendable {
    let byID: [String: any JWTAlgorithm]
    let defaultKey: (any JWTAlgorithm)?

    static let empty = JWTKeySet(byID: [:], defaultKey: nil)

    /// The keys tokens can name (at least the one for tokens that name none).
    var count: Int { max(self.byID.count, self.defaultKey == nil ? 0 : 1) }

    /// The key that verifies a token naming `kid` (or naming none).
    func key(for kid: String?) -> (any JWTAlgorithm)? {
        guard let kid else { return self.defaultKey }
        return self.byID[kid]
    }

    /// The keys of a JWKS document. A file's keys are the operator's, so one that cannot be used
    /// is an error; an identity provider's set may also hold keys for other uses (encryption, an
    /// algorithm this server does not verify), which `skippingUnusable` leaves out and counts.
    static func decode(jwks data: Data, skippingUnusable: Bool) async throws -> (keys: JWTKeySet, skipped: Int) {
        let jwks: [JWK?]
        if skippingUnusable {
            // A key of a type jwt-kit cannot even decode ("oct", an unknown "kty") is one to skip,
            // not a reason to refuse the set.
            jwks = try JSONDecoder().decode(LenientJWKS.self, from: data).keys.map(\.key)
        } else {
            jwks = try JSONDecoder().decode(JWKS.self, from: data).keys
        }
        let collection = JWTKeyCollection()
        var byID: [String: any JWTAlgorithm] = [:]
        var defaultKey: (any JWTAlgorithm)?
        var skipped = 0
        for jwk in jwks {
            guard let jwk else {
                skipped += 1
                continue
            }
            do {
                try await collection.add(jwk: jwk)
                if let kid = jwk.keyIdentifier {
                    byID[kid.string] = try await collection.getKey(for: kid)
                } else if defaultKey == nil {
                    defaultKey = try await collection.getKey(for: nil, alg: jwk.algorithm?.rawValue)
                }
            } catch where skippingUnusable {
                skipped += 1
            }
        }
        if defaultKey == nil && byID.count == 1 { defaultKey = byID.values.first }
        return (JWTKeySet(byID: byID, defaultKey: defaultKey), skipped)
    }

    /// Reads the configured keys (the HMAC secret, the PEM public key, the JWKS file); every
    /// problem names its setting.
    static func load(_ configuration: JWTSettings) async throws(ConfigurationError) -> JWTKeySet {
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
                let fromFile = try await Self.decode(jwks: data, skippingUnusable: false).keys
                keysByID.merge(fromFile.byID) { first, _ in first }
                defaultKey = defaultKey ?? fromFile.defaultKey
            }
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError("cannot load the JWT keys: \(error)")
        }
        // Keys from auth.jwt.jwks_url come later, from `JWKSSource`.
        guard defaultKey != nil || !keysByID.isEmpty || configuration.jwksURL != nil else {
            throw ConfigurationError(
                "auth.mode is jwt but no key is configured: set auth.jwt.jwks_file, auth.jwt.public_key_file or auth.jwt.hmac_secret"
            )
        }
        return JWTKeySet(byID: keysByID, defaultKey: defaultKey)
    }
}

/// A JWKS whose keys are decoded one by one: a key that cannot be is nil, the others stay.
private struct LenientJWKS: Decodable {
    struct Key: Decodable {
        let key: JWK?

        init(from decoder: any Decoder) throws {
            self.key = try? JWK(from: decoder)
        }
    }

    let keys: [Key]
}
