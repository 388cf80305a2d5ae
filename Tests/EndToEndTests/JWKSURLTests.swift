import Crypto
import Foundation
import JobStatusTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension RedisOnly {
    /// `auth.jwt.jwks_url` against an identity provider of the test's own
    /// (scripts/testing/jwks_server.py): keys rotated at the URL, forged kids, the URL down or
    /// hanging, a front started while it is down.
    @Suite("JWT keys fetched from a JWKS URL")
    struct JWKSURLTests {
        /// The identity provider: its answers are the files in `state`.
        final class IdentityProvider: Sendable {
            let port: Int
            let state: String
            let child: ChildProcess

            init(keys: [(P256.Signing.PrivateKey, String)], cacheControl: String?) async throws {
                let port = freePort()
                let state = makeTemporaryDirectory("jwks-url")
                self.port = port
                self.state = state
                // What it serves is in place before it answers.
                try Self.write("jwks.json", Self.jwks(keys), in: state)
                if let cacheControl { try Self.write("cache-control", cacheControl, in: state) }
                self.child = try await TestScript.start("jwks_server.py", name: "jwks-\(port)", arguments: [String(port), state], directory: state)
            }

            var url: String { "http://127.0.0.1:\(self.port)/jwks" }

            func publish(_ keys: [(P256.Signing.PrivateKey, String)]) throws {
                try Self.write("jwks.json", Self.jwks(keys), in: self.state)
            }

            /// `up`, `down` (503) or `hang`.
            func set(mode: String) throws { try Self.write("mode", mode, in: self.state) }

            private static func jwks(_ keys: [(P256.Signing.PrivateKey, String)]) -> String {
                #"{"keys":[\#(keys.map { JWKText.es256($0.0, kid: $0.1) }.joined(separator: ","))]}"#
            }

            private static func write(_ file: String, _ contents: String, in state: String) throws {
                try contents.write(toFile: "\(state)/\(file)", atomically: true, encoding: .utf8)
            }

            /// The fetches it answered (or held) so far.
            var fetches: Int { self.child.log.split(separator: "\n").filter { $0.hasPrefix("fetch ") }.count }
        }

        /// A provider serving key `a` (max-age 1 s) and a front refreshing from it every second,
        /// once the key's token passes: what the failure tests start from.
        static func refreshingEverySecond(_ name: String) async throws -> (IdentityProvider, Front, String) {
            let key = P256.Signing.PrivateKey()
            let provider = try await IdentityProvider(keys: [(key, "a")], cacheControl: "max-age=1")
            let front = try await Self.front(name, provider, ["AUTH_JWT_JWKS_CACHE_MIN": "1s", "AUTH_JWT_JWKS_MIN_REFRESH": "1s"])
            let token = try await ES256Token.sign(key, kid: "a")
            #expect(await eventually { (try? await Self.status(front, token)) == 404 })
            return (provider, front, token)
        }

        static func front(_ name: String, _ provider: IdentityProvider, _ environment: [String: String] = [:]) async throws -> Front {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            var variables = ["AUTH_MODE": "jwt", "AUTH_JWT_JWKS_URL": provider.url, "METRICS_PORT": "\(freePort())"]
            variables.merge(environment) { _, new in new }
            return try await Front.start(name, redis: redis, environment: variables)
        }

        static func status(_ front: Front, _ token: String) async throws -> Int {
            try await front.get("/api/jobs/\(uniqueID())", token: token).status
        }

        static func metric(_ front: Front, _ line: String) async throws -> Double? {
            let text = try await HTTPTestClient(port: front.operatorPort!).request("/metrics").body
            return text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }

        @Test("keys rotated at the URL: the first token with the new kid passes without a restart; 1,000 forged kids cost at most one fetch per jwks_min_refresh")
        func rotation() async throws {
            let first = P256.Signing.PrivateKey()
            let next = P256.Signing.PrivateKey()
            let provider = try await IdentityProvider(keys: [(first, "a")], cacheControl: "public, max-age=3600")
            defer { Task { await provider.child.kill() } }
            let front = try await Self.front("jwks-rotation", provider, ["AUTH_JWT_JWKS_MIN_REFRESH": "2s"])
            defer { Task { await front.child.kill() } }
            #expect(await eventually { (try? await front.operatorReadiness().status) == 200 }, "ready once the keys are fetched")
            #expect(try await Self.status(front, try await ES256Token.sign(first, kid: "a")) == 404)
            #expect(provider.fetches == 1, "one fetch at start-up; max-age 3600 s")

            // The identity provider rotates: both keys published, new tokens signed by the new one.
            try provider.publish([(first, "a"), (next, "b")])
            try await Task.sleep(for: .seconds(2))
            let started = ContinuousClock.now
            let status = try await Self.status(front, try await ES256Token.sign(next, kid: "b"))
            let firstNewToken = ContinuousClock.now - started
            print("JWKS URL rotated: the first token with the new kid answered \(status) in \(firstNewToken) (one fetch, awaited)")
            #expect(status == 404)
            #expect(provider.fetches == 2)

            // Forged kids, from 8 connections at once, once jwks_min_refresh has passed.
            try await Task.sleep(for: .seconds(2))
            let before = provider.fetches
            let stormStart = ContinuousClock.now
            let refused = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let client = try front.client()
                        var refused = 0
                        for _ in 0..<125 {
                            let forged = try await ES256Token.sign(P256.Signing.PrivateKey(), kid: UUID().uuidString)
                            if try await client.request("/api/jobs/\(uniqueID())", token: forged).status == 401 { refused += 1 }
                        }
                        return refused
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - stormStart
            let fetched = provider.fetches - before
            let allowed = 1 + Int(elapsed / .seconds(2))
            let joined = try await Self.metric(front, #"jobstatus_jwks_unknown_kid_total{outcome="joined"}"#) ?? 0
            print("1,000 tokens with random kids in \(elapsed): \(refused) answered 401, \(fetched) fetches (at most \(allowed) allowed by jwks_min_refresh 2 s), \(Int(joined)) requests joined a fetch in flight")
            #expect(refused == 1000)
            #expect(fetched <= allowed)
            #expect(try await Self.status(front, try await ES256Token.sign(first, kid: "a")) == 404, "the old key still passes")
        }

        @Test("the URL down: the keys fetched before still pass, and /metrics and the operator's /health/ready say the keys are stale; back up, they are fresh again")
        func urlDown() async throws {
            let (provider, front, token) = try await Self.refreshingEverySecond("jwks-down")
            defer { Task { await provider.child.kill(); await front.child.kill() } }

            try provider.set(mode: "down")
            #expect(await eventually { (try? await Self.metric(front, #"jobstatus_jwks_fetches_total{outcome="failed"}"#)) ?? 0 >= 2 })
            #expect(try await Self.status(front, token) == 404, "the stale key still verifies")
            #expect(try await Self.metric(front, "jobstatus_jwks_stale") == 1)
            let readiness = try await front.operatorReadiness()
            print("JWKS URL down: /health/ready on the operator port answers \(readiness.status) \(readiness.body)")
            #expect(readiness.status == 200)
            #expect(readiness.body.contains(#""jwks":{"status":"stale","error":"the server answered 503""#))
            #expect(try await front.get("/health/ready", token: nil).body == #"{"status":"up"}"#, "the public port says nothing of it")
            #expect(front.child.log.contains("cannot fetch the JWT keys: the keys in use are kept"))

            try provider.set(mode: "up")
            #expect(await eventually { (try? await Self.metric(front, "jobstatus_jwks_stale")) == 0 })
            #expect(try await front.operatorReadiness().body == #"{"status":"up"}"#)
        }

        @Test("a key set larger than 1 MiB is refused unread: the keys in use stay, and the front's memory does not grow by it")
        func hugeKeySet() async throws {
            let (provider, front, token) = try await Self.refreshingEverySecond("jwks-huge")
            defer { Task { await provider.child.kill(); await front.child.kill() } }
            let before = Self.residentMB(front.child.pid)
            try provider.set(mode: "huge")
            #expect(await eventually { (try? await Self.metric(front, #"jobstatus_jwks_fetches_total{outcome="failed"}"#)) ?? 0 >= 3 })
            let after = Self.residentMB(front.child.pid)
            let readiness = try await front.operatorReadiness()
            print("JWKS URL answering 2 MiB: \(readiness.body); front RSS \(before) MB before, \(after) MB after 3 refused fetches")
            #expect(readiness.status == 200 && readiness.body.contains(#""status":"stale""#))
            #expect(try await Self.status(front, token) == 404, "the keys in use stay")
            #expect(after - before < 8, "a refused set is not kept")
        }

        /// A process's resident memory, in MB.
        static func residentMB(_ pid: Int32) -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
        }

        @Test("a URL that never answers: a request waiting for a refresh is answered within jwks_timeout")
        func urlHangs() async throws {
            let key = P256.Signing.PrivateKey()
            let provider = try await IdentityProvider(keys: [(key, "a")], cacheControl: nil)
            defer { Task { await provider.child.kill() } }
            let front = try await Self.front("jwks-hang", provider, ["AUTH_JWT_JWKS_TIMEOUT": "1s", "AUTH_JWT_JWKS_MIN_REFRESH": "1s"])
            defer { Task { await front.child.kill() } }
            #expect(await eventually { (try? await front.operatorReadiness().status) == 200 })
            try provider.set(mode: "hang")
            try await Task.sleep(for: .seconds(1))
            let started = ContinuousClock.now
            let status = try await Self.status(front, try await ES256Token.sign(P256.Signing.PrivateKey(), kid: "new"))
            let waited = ContinuousClock.now - started
            print("JWKS URL hanging (jwks_timeout 1 s): a token with an unknown kid waited \(waited) for the fetch, then answered \(status)")
            #expect(status == 401)
            #expect(waited < .seconds(3))
            #expect(try await Self.status(front, try await ES256Token.sign(key, kid: "a")) == 404, "the known key is never held up")
        }

        @Test("started while the URL is down: not ready, JWT requests answer 503 (not 401); ready and passing once it answers")
        func startsWithoutKeys() async throws {
            let key = P256.Signing.PrivateKey()
            let provider = try await IdentityProvider(keys: [(key, "a")], cacheControl: nil)
            defer { Task { await provider.child.kill() } }
            try provider.set(mode: "down")
            let front = try await Self.front("jwks-start", provider, ["AUTH_JWT_JWKS_MIN_REFRESH": "1s"])
            defer { Task { await front.child.kill() } }
            let token = try await ES256Token.sign(key, kid: "a")
            #expect(await eventually { provider.fetches >= 1 })
            let readiness = try await front.operatorReadiness()
            #expect(readiness.status == 503)
            #expect(readiness.body.contains(#""jwks":{"status":"none""#), "\(readiness.body)")
            let refused = try await front.get("/api/jobs/\(uniqueID())", token: token)
            #expect(refused.status == 503)
            #expect(refused.body.contains("The token signing keys are not available yet"))
            #expect(refused.header("Retry-After") == "1")

            try provider.set(mode: "up")
            let started = ContinuousClock.now
            #expect(await eventually { (try? await Self.status(front, token)) == 404 })
            print("JWKS URL back after a start without it: the token passed \(ContinuousClock.now - started) later")
            #expect(try await front.operatorReadiness().status == 200)
        }
    }
}
