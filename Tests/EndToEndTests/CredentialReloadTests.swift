import Crypto
import Foundation
import JobStatusTestSupport
import Testing

extension RedisOnly {
    /// Credentials replaced under a running front (`CredentialReloader`): the tokens file edited,
    /// broken, and reloaded on SIGHUP; a JWKS file rotated.
    @Suite("Credentials reloaded without a restart")
    struct CredentialReloadTests {
        static let added = "token-of-mis-9"

        /// `Tokens.file` with `token-of-mis-9` added and `token-of-mis-2` removed.
        static let rotatedTokens = """
            {"tokens": [
              {"client_id": "mis-1", "sha256": "\(Tokens.sha256(Tokens.owner))", "scopes": ["job:read"]},
              {"client_id": "mis-9", "sha256": "\(Tokens.sha256(added))", "scopes": ["job:read"]}
            ]}
            """

        /// The status of a poll of an unknown job: 404 once the token is accepted, 401 before.
        static func status(_ client: HTTPTestClient, token: String) async throws -> Int {
            try await client.request("/api/jobs/\(uniqueID())", token: token).status
        }

        /// How long until `condition` holds (nil: not within `limit`), as the test process sees it: on
        /// a loaded machine its own stalls are in it, so the tests bound the front's own figure
        /// (`reloadTime`) and this one only loosely.
        static func time(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Duration? {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < limit {
                if try await condition() { return ContinuousClock.now - start }
                try await Task.sleep(for: .milliseconds(50))
            }
            return nil
        }

        /// From when `change` (a file written, SIGHUP sent) returned to the front's log line saying
        /// it loaded the credentials again: what "within a second or two" bounds. A stall of the
        /// test process after the change only shortens it.
        static func reloadTime(_ front: Front, after change: () throws -> Void) async throws -> TimeInterval {
            let before = Date()
            try change()
            let after = Date()
            let loaded = try #require(await front.loggedInstant(of: "loaded the credentials again", since: before))
            return loaded.timeIntervalSince(after)
        }

        @Test("the tokens file edited under a running front: an added token passes and a removed one is refused within a second or two, also on a keep-alive connection that used it; a broken file keeps the tokens in use")
        func tokensFileEdited() async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("reload-tokens", redis: redis, environment: ["AUTH_RELOAD_INTERVAL": "1s", "LOG_FORMAT": "json"])
            defer { Task { await front.child.kill() } }
            let tokensFile = "\(front.directory)/tokens.json"
            let removedsConnection = try front.client()
            #expect(try await Self.status(removedsConnection, token: Tokens.other) == 404)
            #expect(try await Self.status(try front.client(), token: Self.added) == 401)

            let reload = try await Self.reloadTime(front) { try Self.rotatedTokens.write(toFile: tokensFile, atomically: true, encoding: .utf8) }
            let added = try await Self.time { try await Self.status(try front.client(), token: Self.added) == 404 }
            let removed = try await Self.time { try await Self.status(removedsConnection, token: Tokens.other) == 401 }
            print("tokens file edited (reload_interval 1 s): reloaded \(reload) s after the write (the front's log); after that, the test saw the added token pass \(added.map { "\($0)" } ?? "never"), the removed one refused on its keep-alive connection \(removed.map { "\($0)" } ?? "never") later")
            #expect(reload < 2)
            #expect(added != nil)
            #expect(removed != nil)

            try "{\"tokens\": [".write(toFile: tokensFile, atomically: true, encoding: .utf8)
            #expect(await eventually(timeout: .seconds(5)) { front.child.log.contains("kept the credentials in use") })
            #expect(try await Self.status(try front.client(), token: Self.added) == 404, "the tokens in use stay")
            #expect(try await Self.status(try front.client(), token: Tokens.owner) == 404)
            let metrics = try await front.get("/metrics", token: nil).body
            #expect(metrics.contains(#"jobstatus_auth_reloads_total{outcome="refused"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"jobstatus_auth_reloads_total{outcome="loaded"} 1"#))
        }

        @Test("with reload_interval 0 the file is read again on SIGHUP only")
        func sighup() async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            let front = try await Front.start("reload-sighup", redis: redis, environment: ["AUTH_RELOAD_INTERVAL": "0s", "LOG_FORMAT": "json"])
            defer { Task { await front.child.kill() } }
            try Self.rotatedTokens.write(toFile: "\(front.directory)/tokens.json", atomically: true, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await Self.status(try front.client(), token: Self.added) == 401, "not looked at without SIGHUP")
            let reload = try await Self.reloadTime(front) { front.child.signal(SIGHUP) }
            let reloaded = try await Self.time { try await Self.status(try front.client(), token: Self.added) == 404 }
            print("SIGHUP: reloaded \(reload) s after the signal (the front's log); after that, the test saw the added token pass \(reloaded.map { "\($0)" } ?? "never") after it")
            #expect(reload < 2)
            #expect(reloaded != nil)
            #expect(front.child.isRunning, "SIGHUP is trapped, not fatal")
        }

        @Test("a JWKS file rotated under a running front: a token signed by the new key passes without a restart")
        func jwksRotated() async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            let first = P256.Signing.PrivateKey()
            let next = P256.Signing.PrivateKey()
            let jwksFile = makeTemporaryDirectory("jwks") + "/jwks.json"
            try #"{"keys":[\#(JWKText.es256(first, kid: "a"))]}"#.write(toFile: jwksFile, atomically: true, encoding: .utf8)
            let front = try await Front.start(
                "reload-jwks", redis: redis,
                environment: ["AUTH_MODE": "jwt", "AUTH_JWT_JWKS_FILE": jwksFile, "AUTH_RELOAD_INTERVAL": "1s", "LOG_FORMAT": "json"]
            )
            defer { Task { await front.child.kill() } }
            let byFirst = try await ES256Token.sign(first, kid: "a")
            let byNext = try await ES256Token.sign(next, kid: "b")
            #expect(try await Self.status(try front.client(), token: byFirst) == 404)
            #expect(try await Self.status(try front.client(), token: byNext) == 401)

            let reload = try await Self.reloadTime(front) {
                try #"{"keys":[\#(JWKText.es256(first, kid: "a")),\#(JWKText.es256(next, kid: "b"))]}"#.write(toFile: jwksFile, atomically: true, encoding: .utf8)
            }
            let rotated = try await Self.time { try await Self.status(try front.client(), token: byNext) == 404 }
            print("JWKS file rotated: reloaded \(reload) s after the write (the front's log); after that, the test saw a token with the new kid pass \(rotated.map { "\($0)" } ?? "never") later")
            #expect(reload < 2)
            #expect(rotated != nil)
            #expect(try await Self.status(try front.client(), token: byFirst) == 404, "the old key is still in the file")
        }
    }
}
