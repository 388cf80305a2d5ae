import Foundation
import JWTKit
import JobStatusWriter
import Testing

extension RedisOnly {
    /// The other authorization modes, through the real binary.
    @Suite("Authorization modes")
    struct AuthModesTests {
        struct Claims: JWTPayload {
            var exp: ExpirationClaim
            var iss: IssuerClaim
            var scope: String
            var client_id: String

            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }

        @Test("jwt: valid tokens read their own jobs; expired, foreign-issuer and unscoped tokens are refused")
        func jwt() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let secret = "end-to-end-secret-of-32-bytes-ok!"
            let front = try await Front.start(
                "jwt",
                redis: redis,
                environment: ["AUTH_MODE": "jwt", "AUTH_JWT_HMAC_SECRET": secret, "AUTH_JWT_ISSUER": "https://auth.example"]
            )
            defer { Task { await front.child.kill() } }
            let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            func token(client: String, expiresIn: TimeInterval = 300, issuer: String = "https://auth.example", scope: String = "job:read") async throws -> String {
                try await keys.sign(
                    Claims(
                        exp: ExpirationClaim(value: Date(timeIntervalSinceNow: expiresIn)),
                        iss: IssuerClaim(value: issuer),
                        scope: scope,
                        client_id: client
                    )
                )
            }
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            #expect(try await front.get("/api/jobs/\(id)", token: try await token(client: "mis-1")).status == 200)
            #expect(try await front.get("/api/jobs/\(id)", token: try await token(client: "mis-2")).status == 404, "not the owner")
            let expired = try await front.get("/api/jobs/\(id)", token: try await token(client: "mis-1", expiresIn: -60))
            #expect(expired.status == 401)
            #expect((expired.json?["error"] as? [String: String])?["message"] == "Invalid access token")
            #expect(try await front.get("/api/jobs/\(id)", token: try await token(client: "mis-1", issuer: "https://evil")).status == 401)
            #expect(try await front.get("/api/jobs/\(id)", token: try await token(client: "mis-1", scope: "other")).status == 403)
            #expect(try await front.get("/api/jobs/\(id)", token: nil).status == 401)
        }

        @Test("gateway: X-Consumer-ID counts only with the pre-shared key; the key never reaches the log")
        func gateway() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let psk = "gateway-shared-key-0123456789"
            let front = try await Front.start("gateway", redis: redis, environment: ["AUTH_MODE": "gateway", "AUTH_GATEWAY_PSK": psk, "LOG_ACCESS": "true"])
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            let owner = [("X-Consumer-ID", "mis-1"), ("X-Custom-PSK", psk)]
            #expect(try await front.get("/api/jobs/\(id)", token: nil, headers: owner).status == 200)
            #expect(try await front.get("/api/jobs/\(id)", token: nil, headers: [("X-Consumer-ID", "mis-2"), ("X-Custom-PSK", psk)]).status == 404)
            let forged = try await front.get("/api/jobs/\(id)", token: nil, headers: [("X-Consumer-ID", "mis-1"), ("X-Custom-PSK", "guess")])
            #expect(forged.status == 401)
            #expect((forged.json?["error"] as? [String: String])?["type"] == "access_denied")
            #expect(try await front.get("/api/jobs/\(id)", token: nil, headers: [("X-Consumer-ID", "mis-1")]).status == 401)
            #expect(await front.terminate() == 0)
            #expect(!front.child.log.contains(psk))
            #expect(!front.child.log.contains("guess"))
        }
    }
}
