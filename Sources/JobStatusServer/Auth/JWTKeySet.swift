import Foundation
import JWTKit
import JobStatusConfiguration

/// The JWT verification keys in use: by `kid`, and the key for tokens that name none.
struct JWTKeySet: Sendable {
    let byID: [String: any JWTAlgorithm]
    let defaultKey: (any JWTAlgorithm)?

    /// The keys tokens can name (at least the one for tokens that name none).
    var count: Int { max(self.byID.count, self.defaultKey == nil ? 0 : 1) }

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
        return JWTKeySet(byID: keysByID, defaultKey: defaultKey)
    }
}
