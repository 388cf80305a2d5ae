public import Crypto
public import Foundation

/// JSON Web Keys as the tests write them into JWKS files.
public enum JWKText {
    /// A P-256 public key as an ES256 JWK with `kid`.
    public static func es256(_ key: P256.Signing.PrivateKey, kid: String) -> String {
        let raw = key.publicKey.rawRepresentation
        return #"{"kty":"EC","crv":"P-256","alg":"ES256","kid":"\#(kid)","x":"\#(raw.prefix(32).base64URLEncoded)","y":"\#(raw.suffix(32).base64URLEncoded)"}"#
    }
}

extension DataProtocol {
    /// base64url without padding (RFC 7515), as JWS and JWK write bytes.
    public var base64URLEncoded: String {
        Data(self).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
