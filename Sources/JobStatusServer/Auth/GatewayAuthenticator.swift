/// `auth.mode: gateway`: behind an API gateway that already authenticated the caller. The
/// caller's identity comes from `X-Consumer-ID`, and is believed only when the request also
/// carries the pre-shared key (`X-Custom-PSK`, `auth.gateway.psk`), compared in constant time
/// through digests so neither content nor length leaks.
public final class GatewayAuthenticator: Sendable {
    private let digest: TokenDigest

    public init(presharedKey: String) {
        var key = presharedKey
        self.digest = key.withUTF8 { TokenDigest(hashing: UnsafeRawBufferPointer($0)) }
    }

    func authenticate(consumerID: String?, presharedKey: String?) -> AuthorizationDecision {
        guard var presharedKey else { return .denied(.missingGatewayCredentials) }
        let matches = presharedKey.withUTF8 { TokenDigest(hashing: UnsafeRawBufferPointer($0)) }.constantTimeEquals(self.digest)
        guard matches, let consumerID, !consumerID.isEmpty else { return .denied(.missingGatewayCredentials) }
        return .allowed(clientID: consumerID)
    }
}
