import Crypto
import Foundation
import JWTKit

/// A job-reading JWT of `mis-1` signed with a P-256 key under `kid`, valid for five minutes.
enum ES256Token {
    static func sign(_ key: P256.Signing.PrivateKey, kid: String) async throws -> String {
        try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: key), kid: JWKIdentifier(string: kid))
            .sign(
                RedisOnly.AuthModesTests.Claims(exp: .init(value: Date(timeIntervalSinceNow: 300)), iss: "any", scope: "job:read", client_id: "mis-1"),
                kid: JWKIdentifier(string: kid)
            )
    }
}
