import Crypto
import Foundation
import JWTKit
import JobStatusConfiguration
import JobStatusTestSupport
import Testing

@testable import JobStatusServer

@Suite("JWT bearer tokens")
struct JWTAuthenticatorTests {
    struct Claims: JWTPayload {
        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?
        var iss: IssuerClaim?
        var aud: AudienceClaim?
        var scope: String?
        var client_id: String?
        var sub: SubjectClaim?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private static let secret = "a-test-secret-of-thirty-two-bytes!!"

    private func claims(
        exp: TimeInterval = 300,
        nbf: TimeInterval? = nil,
        iss: String? = "https://auth.example",
        aud: String? = "jobstatus",
        scope: String? = "job:read patient:read",
        clientID: String? = "mis-1",
        sub: String? = nil
    ) -> Claims {
        Claims(
            exp: ExpirationClaim(value: Date(timeIntervalSinceNow: exp)),
            nbf: nbf.map { NotBeforeClaim(value: Date(timeIntervalSinceNow: $0)) },
            iss: iss.map { IssuerClaim(value: $0) },
            aud: aud.map { AudienceClaim(value: [$0]) },
            scope: scope,
            client_id: clientID,
            sub: sub.map { SubjectClaim(value: $0) }
        )
    }

    private func hmacAuthenticator() async throws -> JWTAuthenticator {
        var configuration = JWTSettings()
        configuration.hmacSecret = Self.secret
        configuration.issuer = "https://auth.example"
        configuration.audience = "jobstatus"
        configuration.leeway = .seconds(0)
        return try await JWTAuthenticator.load(configuration)
    }

    private func hmacToken(_ claims: Claims, secret: String = JWTAuthenticatorTests.secret) async throws -> String {
        try await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256).sign(claims)
    }

    @Test("with auth.jwt.jwks_url: a kid no key has waits for a fetch once; decided without, it is 503 before any key was fetched, 401 after")
    func unknownKidWithJWKSURL() async throws {
        var configuration = JWTSettings()
        configuration.jwksURL = JWKSURL("http://127.0.0.1:9/jwks")
        configuration.issuer = "https://auth.example"
        configuration.audience = "jobstatus"
        let authenticator = try await JWTAuthenticator.load(configuration)
        let key = P256.Signing.PrivateKey()
        let token = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: key), kid: "k1").sign(self.claims(), kid: "k1")
        let header = "Bearer \(token)"
        // The start-up fetch is asked for (the source does not run here): the token waits for it.
        #expect(authenticator.authenticate(header, mayAwaitKeys: true).decision == .unknownKey)
        #expect(authenticator.authenticate(header).decision == .denied(.keysUnavailable))
        let generation = authenticator.generation
        let fetched = try await JWTKeySet.decode(jwks: Data(#"{"keys":[\#(JWKText.es256(key, kid: "k1"))]}"#.utf8), skippingUnusable: true)
        authenticator.keySource?.keys.replace(with: fetched.keys)
        #expect(authenticator.generation != generation, "a fetched set moves the generation on: kept decisions are dropped")
        #expect(authenticator.authenticate(header, mayAwaitKeys: true).decision == .allowed(clientID: "mis-1"))
    }

    @Test("a JWKS from a URL: keys of other kinds are skipped and counted; from a file they are an error")
    func unusableKeys() async throws {
        let key = P256.Signing.PrivateKey()
        let jwks = Data(#"{"keys":[\#(JWKText.es256(key, kid: "k1")),{"kty":"oct","kid":"enc","k":"AAAA","alg":"A128KW"}]}"#.utf8)
        let fetched = try await JWTKeySet.decode(jwks: jwks, skippingUnusable: true)
        #expect(fetched.keys.count == 1 && fetched.skipped == 1)
        await #expect(throws: (any Error).self) { try await JWTKeySet.decode(jwks: jwks, skippingUnusable: false) }
    }

    @Test("HS256: a valid token names its client; client_id first, else sub")
    func valid() async throws {
        let auth = try await self.hmacAuthenticator()
        #expect(auth.authenticate("Bearer \(try await self.hmacToken(self.claims()))").decision == .allowed(clientID: "mis-1"))
        let bySubject = try await self.hmacToken(self.claims(clientID: nil, sub: "user-7"))
        #expect(auth.authenticate("Bearer \(bySubject)").decision == .allowed(clientID: "user-7"))
    }

    @Test(
        "refused as an invalid token: expired, not yet valid, other issuer or audience, other key, no identity",
        arguments: [
            ("expired", -10.0), ("not yet valid", 1.0), ("issuer", 2.0), ("audience", 3.0), ("key", 4.0), ("identity", 5.0),
        ]
    )
    func invalid(reason: String, variant: Double) async throws {
        let auth = try await self.hmacAuthenticator()
        let claims: Claims =
            switch variant {
            case -10: self.claims(exp: -10)
            case 1: self.claims(nbf: 60)
            case 2: self.claims(iss: "https://elsewhere")
            case 3: self.claims(aud: "another-service")
            case 5: self.claims(clientID: nil, sub: nil)
            default: self.claims()
            }
        let token = try await self.hmacToken(claims, secret: variant == 4 ? "another-secret-of-thirty-two-bytes!" : Self.secret)
        #expect(auth.authenticate("Bearer \(token)").decision == .denied(.invalidToken), "\(reason)")
    }

    @Test("a token without job:read is refused for its scope")
    func scope() async throws {
        let auth = try await self.hmacAuthenticator()
        let token = try await self.hmacToken(self.claims(scope: "patient:read job:write"))
        #expect(auth.authenticate("Bearer \(token)").decision == .denied(.missingScope))
    }

    @Test("garbage, alg none and no header")
    func garbage() async throws {
        let auth = try await self.hmacAuthenticator()
        #expect(auth.authenticate(nil).decision == .denied(.missingBearerToken))
        #expect(auth.authenticate("Basic abc").decision == .denied(.missingBearerToken))
        #expect(auth.authenticate("Bearer not.a.jwt").decision == .denied(.invalidToken))
        let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URLEncoded
        let payload = Data(#"{"exp":9999999999,"scope":"job:read","client_id":"x","iss":"https://auth.example","aud":"jobstatus"}"#.utf8).base64URLEncoded
        #expect(auth.authenticate("Bearer \(header).\(payload).").decision == .denied(.invalidToken))
    }

    @Test("crit naming any extension is refused (none is understood); base64url with = padding is refused")
    func critAndPadding() async throws {
        let auth = try await self.hmacAuthenticator()
        let payload = Data(#"{"exp":9999999999,"scope":"job:read","client_id":"mis-1","iss":"https://auth.example","aud":"jobstatus"}"#.utf8)
            .base64URLEncoded
        let key = SymmetricKey(data: Data(Self.secret.utf8))
        func mac(_ signingInput: String) -> String {
            Data(HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: key)).base64URLEncoded
        }
        func signed(_ headerJSON: String) -> (header: String, signature: String) {
            let header = Data(headerJSON.utf8).base64URLEncoded
            return (header, mac("\(header).\(payload)"))
        }
        let plain = signed(#"{"alg":"HS256","typ":"JWT"}"#)
        #expect(auth.authenticate("Bearer \(plain.header).\(payload).\(plain.signature)").decision == .allowed(clientID: "mis-1"), "the control")
        var outcomes: [String] = []
        for header in [
            #"{"alg":"HS256","crit":["exp"]}"#, #"{"alg":"HS256","crit":["b64"],"b64":false}"#, #"{"alg":"HS256","crit":[]}"#,
            #"{"alg":"HS256","crit":"x-ext"}"#, #"{"alg":"HS256","crit":[7]}"#,
        ] {
            let token = signed(header)
            let decision = auth.authenticate("Bearer \(token.header).\(payload).\(token.signature)").decision
            #expect(decision == .denied(.invalidToken), "\(header)")
            outcomes.append("\(header): \(decision)")
        }
        // A 32-byte HMAC is 43 base64url characters; padded to 44 with "=". A padded header or
        // payload is signed as sent, so only the padding can refuse it.
        func padded(_ part: String) -> String { part + String(repeating: "=", count: (4 - part.count % 4) % 4) }
        let paddedHeader = padded(Data(#"{"alg":"HS256","typ":"JWT","kk":1}"#.utf8).base64URLEncoded)
        let paddedPayload = padded(payload)
        #expect(paddedHeader.hasSuffix("=") && paddedPayload.hasSuffix("="), "the parts chosen need padding")
        for token in [
            "\(plain.header).\(payload).\(plain.signature)=", "\(plain.header).\(payload).\(plain.signature)==",
            "\(paddedHeader).\(payload).\(mac("\(paddedHeader).\(payload)"))", "\(plain.header).\(paddedPayload).\(mac("\(plain.header).\(paddedPayload)"))",
        ] {
            let decision = auth.authenticate("Bearer \(token)").decision
            #expect(decision == .denied(.invalidToken), "\(token)")
            outcomes.append("padded: \(decision)")
        }
        print("JWT crit and padding: " + outcomes.joined(separator: "; "))
    }

    @Test("RS256 and ES256 from PEM public keys; an HS256 token signed with the public key is refused")
    func publicKeys() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jwt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        let ecdsa = P256.Signing.PrivateKey()
        let ecdsaPath = directory.appendingPathComponent("ec.pem").path
        try ecdsa.publicKey.pemRepresentation.write(toFile: ecdsaPath, atomically: true, encoding: .utf8)
        var ecConfiguration = JWTSettings()
        ecConfiguration.publicKeyFile = ecdsaPath
        let ecAuth = try await JWTAuthenticator.load(ecConfiguration)
        let ecToken = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: ecdsa)).sign(self.claims())
        #expect(ecAuth.authenticate("Bearer \(ecToken)").decision == .allowed(clientID: "mis-1"))
        // Alg confusion: an HS256 token keyed with the public key text must not pass.
        let confused = try await JWTKeyCollection()
            .add(hmac: HMACKey(from: ecdsa.publicKey.pemRepresentation), digestAlgorithm: .sha256).sign(self.claims())
        #expect(ecAuth.authenticate("Bearer \(confused)").decision == .denied(.invalidToken))

        let rsa = try Insecure.RSA.PrivateKey(pem: Self.rsaPrivateKeyPEM)
        let rsaPath = directory.appendingPathComponent("rsa.pem").path
        try rsa.publicKey.pemRepresentation.write(toFile: rsaPath, atomically: true, encoding: .utf8)
        var rsaConfiguration = JWTSettings()
        rsaConfiguration.publicKeyFile = rsaPath
        let rsaAuth = try await JWTAuthenticator.load(rsaConfiguration)
        let rsaToken = try await JWTKeyCollection().add(rsa: rsa, digestAlgorithm: .sha256).sign(self.claims())
        #expect(rsaAuth.authenticate("Bearer \(rsaToken)").decision == .allowed(clientID: "mis-1"))
        #expect(ecAuth.authenticate("Bearer \(rsaToken)").decision == .denied(.invalidToken))
    }

    @Test("JWKS: the kid picks the key")
    func jwks() async throws {
        let first = P256.Signing.PrivateKey()
        let second = P256.Signing.PrivateKey()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json").path
        try #"{"keys":[\#(JWKText.es256(first, kid: "one")),\#(JWKText.es256(second, kid: "two"))]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        var configuration = JWTSettings()
        configuration.jwksFile = path
        let auth = try await JWTAuthenticator.load(configuration)
        let signedBySecond = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: second), kid: "two")
            .sign(self.claims(), kid: "two")
        #expect(auth.authenticate("Bearer \(signedBySecond)").decision == .allowed(clientID: "mis-1"))
        let mislabelled = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: second), kid: "one")
            .sign(self.claims(), kid: "one")
        #expect(auth.authenticate("Bearer \(mislabelled)").decision == .denied(.invalidToken))
    }

    @Test("JWKS reload: a key added to the file verifies once reloaded; a broken file keeps the keys in use")
    func jwksReload() async throws {
        let first = P256.Signing.PrivateKey()
        let added = P256.Signing.PrivateKey()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"keys":[\#(JWKText.es256(first, kid: "one"))]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        var configuration = JWTSettings()
        configuration.jwksFile = path
        let auth = try await JWTAuthenticator.load(configuration)
        let byAdded = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: added), kid: "two").sign(self.claims(), kid: "two")
        let byFirst = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: first), kid: "one").sign(self.claims(), kid: "one")
        #expect(auth.authenticate("Bearer \(byAdded)").decision == .denied(.invalidToken), "not in the file yet")
        let before = auth.generation

        try #"{"keys":[\#(JWKText.es256(first, kid: "one")),\#(JWKText.es256(added, kid: "two"))]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await auth.reload() == 2)
        #expect(auth.generation != before)
        #expect(auth.authenticate("Bearer \(byAdded)").decision == .allowed(clientID: "mis-1"))

        try #"{"keys":[{"kty":"EC"}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        await #expect(throws: ConfigurationError.self) { try await auth.reload() }
        #expect(auth.authenticate("Bearer \(byAdded)").decision == .allowed(clientID: "mis-1"), "the keys in use stay")
        #expect(auth.authenticate("Bearer \(byFirst)").decision == .allowed(clientID: "mis-1"))
    }

    @Test("configuration without a key, or with an unreadable one, is refused")
    func badConfiguration() async {
        await #expect(throws: ConfigurationError.self) { try await JWTAuthenticator.load(JWTSettings()) }
        var missing = JWTSettings()
        missing.publicKeyFile = "/nonexistent.pem"
        await #expect(throws: ConfigurationError.self) { try await JWTAuthenticator.load(missing) }
    }

    @Test("gateway mode: the consumer id counts only with the pre-shared key")
    func gateway() {
        let gateway = GatewayAuthenticator(presharedKey: "a-long-shared-key-123")
        #expect(gateway.authenticate(consumerID: "mis-9", presharedKey: "a-long-shared-key-123") == .allowed(clientID: "mis-9"))
        #expect(gateway.authenticate(consumerID: "mis-9", presharedKey: "a-long-shared-key-124") == .denied(.missingGatewayCredentials))
        #expect(gateway.authenticate(consumerID: "mis-9", presharedKey: nil) == .denied(.missingGatewayCredentials))
        #expect(gateway.authenticate(consumerID: nil, presharedKey: "a-long-shared-key-123") == .denied(.missingGatewayCredentials))
    }

    /// A 2048-bit RSA key for tests only (generating one per run is slow).
    static let rsaPrivateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC6pUiX/Xi0jPjq
        hydU8G7Wkuw/E68+i4CqYzQ4eRRqSVDPQe/BhXyaQpSz7dliS4orFPOmCHIYIYFr
        FwR9b7PQxruDcyicEWo6fh2ilEZt7VQ+eMhriO+ZyuvZHaL9YpO5cpnl5tO2g+DM
        /80Rx0V4WeZdQ1f9JzDctfBHJeYhd+2B1U0iMNethpNG81gDrA0vZr2PATPf5RbM
        lyOV/SKhDduvn3WuzBY/1xoeZEECTq3+/cGmI+B0fMK1PGhDZwgc5pkqUB22Trwk
        1f6rSk/ASCWZdMm0PlG6zpWrQLdKqtXte0FwPKZe7zOEL+Si1BF4tTbtu/LimuZy
        rUhvfXaxAgMBAAECggEAFeV7GT2m0gOx1g3KCvh0AF9XMOU1y3AhRZwCzddCkl+M
        h+wT3Q+0eQJzoJI4TQRQrtIz7VgTToprvO0D3VVj8ovGBttVOc3/OOJ/xol/o7jS
        h8uys47qkQ/R0HReITzV2M09ic+lKcXZ8yLVY48NsttVH77dTTkyTcpYaHhlQaq1
        T2uPYvxtfJB4ODB9HBGcbCJs3My5IICnCIguwbm1nIMrsdqEGr4Dn5tfW+11o/Ir
        p7MXjTVobri+StQN4Jbu1+8bVHZbzUABsteGO0YGou4ry5lSb/HNzK45l7kCDQW3
        cDiYy2zAKlaXZY0RLv2QRXbL8FsAuM4Nj0Kp3c1C2wKBgQDkYIm97fnyo+JsthYg
        CU8HqSmV5b0/hdvwL++MygKYg13k0G/zv1/1SWonTDnCjlKKA+y8wAzrrUaWTE2U
        ijaH2TICucfPP0EjRyq95HZTQ++uzCUFvd6gvRqGgMCekhrHKzNEAdjnKf1MmXzS
        FBBDO0aUu7Chdq+eCov1P0KUQwKBgQDROJLex/DBrVQDYgJRUI+EF7/kxxijYkAs
        DL10iat7ghEd2DP0O8RrOfNzZuhMXJVzae9/dAAo91G1jkNtMuC1T2kpjsrsiVbZ
        4d+gPpH+4nBhTNVMwIrAkwVG47EqneZlkJ5LPo7Hk/Ko9sVLZJHrNP0+4jfEKupJ
        2D+nYTRz+wKBgFwyxSkSXCgjFZRB5qjEWU2Ec696cm6kwegz0ggKvgWIc22e4LOM
        /VZvbxWyZlcvUg86CmchOZYj/C1NXLytF9q8Sr5i9lGq/ccaQh0rkMGI2ci9zeyF
        fM1zyrOmYx0hawIhZK799+1LPGGiTYwaYX5i/dmp9GMbIUcyhtJZ2a01AoGBALdl
        yBjRWxHrRgHRIAb3f1ZjGysH+2j87xOt90T4iQEy+p4WrzQgUAVOP0Ghq2+EmN0a
        t34ZySof4dgsZJ6MQr2sZpqvOOIvYZqMjOKC9qdfBvPDzhYBkZ9NQQrq/JpG33eY
        VanPpIj9/3BtIHT+K4rqYDOHSSsEE2u3y9SFON2RAoGBAI8Z4MZPaOPw7QpWamG6
        YTyYvgb9918jqpCGZV1fX36io1agmfYzagrK7X0e6ZqwywU/fD4rXpnrAdB+U4Kp
        iAIHef/iCC191HyouLtm1M2HqU/4QnKY4zYGdaM7xe/ow3er5JRm/7mQWgVwIrwV
        CG5YIDf/3jtdb1xnrPYHZkPB
        -----END PRIVATE KEY-----
        """
}
