import Foundation
import JobStatusWriter
import RedisWire
import Testing

extension RedisOnly {
    /// Redis as managed services run it: TLS only (`--port 0 --tls-port`), certificates made by
    /// openssl for this run (scripts/testing/make_test_certificates.sh), mutual TLS, a TLS cluster,
    /// and every wrong setting an operator can make, each answered with its cause.
    @Suite("Redis over TLS", .serialized)
    struct TLSTests {
        static let certificates = TestCertificates.shared

        /// Runs a writer subcommand against `url` with the front's TLS variables.
        private func cli(_ arguments: [String], url: String, _ environment: [String: String]) async -> (status: Int32, output: String, error: String) {
            let variables = environment.merging(["REDIS_URL": url, "JOBSTATUS_CONFIG": ""]) { _, new in new }
            return (try? await Binary.run(arguments, environment: variables)) ?? (-1, "", "could not run")
        }

        /// Every writer operation through the CLI, and every kind of read through the front.
        private func exercise(_ front: Front, url: String, _ environment: [String: String]) async throws {
            let created = await self.cli(["create", "--owner", "mis-1"], url: url, environment)
            #expect(created.status == 0, "\(created.error)")
            let id = created.output
            #expect(await self.cli(["progress", id, "--eta", "5m"], url: url, environment).status == 0)
            let first = try await front.get("/api/jobs/\(id)")
            #expect(first.status == 200)
            let tag = try #require(first.header("ETag"))
            #expect(try await front.get("/api/jobs/\(id)", headers: [("If-None-Match", tag)]).status == 304)

            // A long poll held over TLS wakes at the write (the subscriber speaks TLS too).
            let waiting = try front.client(timeout: .seconds(15))
            try waiting.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=10", token: Tokens.owner, headers: [("If-None-Match", tag)]))
            try await Task.sleep(for: .milliseconds(300))
            #expect(await self.cli(["processed", id, "--link", "encounter=/api/e/1"], url: url, environment).output == "updated (version 3)")
            // Timed from the acknowledged write, not from the CLI's start (a process and a TLS
            // handshake on a loaded machine), and bounded by half the wait: woken, not timed out.
            let written = ContinuousClock.now
            #expect(try await waiting.readResponse().status == 303)
            #expect(ContinuousClock.now - written < .seconds(5))
            let get = await self.cli(["get", id], url: url, environment)
            #expect(get.status == 0 && get.output.contains(#""status":"processed""#), "\(get.output) \(get.error)")

            let streamed = await self.cli(["create", "--owner", "mis-1"], url: url, environment).output
            let stream = try front.client(timeout: .seconds(10))
            try stream.send(HTTPTestClient.requestText("/api/jobs/\(streamed)/events", token: Tokens.owner))
            _ = try await stream.readStreamHead()
            #expect(try await stream.readChunk().contains("id: 1"))
            #expect(await self.cli(["failed-with-error", streamed, "--message", "disk full"], url: url, environment).status == 0)
            #expect(try await stream.readChunk().contains("failed_with_error"))

            let failed = await self.cli(["create", "--owner", "mis-1"], url: url, environment).output
            #expect(await self.cli(["failed", failed, "--status-code", "404", "--error", "Patient not found"], url: url, environment).status == 0)
            #expect(try await front.get("/api/jobs/\(failed)").status == 200)
            #expect(try await front.get("/health/ready", token: nil).status == 200)
        }

        @Test(
            "polls, 304s, long polls, event streams and every writer operation over rediss://, with and without a client certificate",
            arguments: [false, true]
        )
        func everythingOverTLS(mutual: Bool) async throws {
            let redis = try await RedisServer.start("tls", tls: (certificate: "server", authClients: mutual))
            let environment = Self.certificates.frontEnvironment(clientCertificate: mutual)
            let front = try await Front.start("tls-\(mutual)", redis: redis, environment: environment)
            try await self.exercise(front, url: redis.url, environment)
            // A host name works as well as the address: the certificate names both.
            let byName = await self.cli(["create"], url: "rediss://localhost:\(redis.port)", environment)
            #expect(byName.status == 0, "\(byName.error)")
            let clients = try await redis.command(["CLIENT", "LIST"]).string ?? ""
            print("TLS (client certificate: \(mutual)): \(clients.split(separator: "\n").count) connections to a server with no plaintext port")
            await front.child.kill()
            await redis.stop()
        }

        @Test("a 3-primary + 3-replica cluster on TLS only (tls-cluster, verify ca): reads, writes, waits, and a failover")
        func cluster() async throws {
            let cluster = try await RedisCluster.start("tls-cluster", tls: true)
            let environment = Self.certificates.frontEnvironment(verify: "ca").merging(["REDIS_MODE": "cluster"]) { _, new in new }
            let front = try await Front.start("tls-cluster", redisURL: cluster.seeds, environment: environment)
            try await self.exercise(front, url: cluster.seeds, environment)

            let writer = try await cluster.writer()
            let victim = try #require(try await cluster.nodes().first(where: \.isPrimary))
            let ids = RedisCluster.ids(inSlot: victim.slots[0].lowerBound, count: 5)
            for id in ids {
                _ = try await writer.create(id: id, owner: "mis-1")
            }
            // Wait for the replica to have them, then kill the primary.
            try await Task.sleep(for: .milliseconds(500))
            cluster.server(port: victim.port).child.signal(SIGKILL)
            let killed = ContinuousClock.now
            let back = await eventually(timeout: .seconds(30)) {
                (try? await front.get("/api/jobs/\(ids[0])"))?.status == 200
            }
            let answered = ContinuousClock.now - killed
            // Nodes learn of the failover by gossip: a slot map read from one that has not yet heard
            // still names the dead primary, so the shard can answer 503 a little longer.
            let settled = await eventually(timeout: .seconds(30)) {
                for id in ids where (try? await front.get("/api/jobs/\(id)"))?.status != 200 { return false }
                return true
            }
            print(
                "TLS cluster failover: the front answered again \(answered) after the primary was killed, "
                    + "every job of the shard \(ContinuousClock.now - killed) after"
            )
            #expect(back && settled)
            for id in ids {
                let status = try await front.get("/api/jobs/\(id)").status
                #expect(status == 200, "\(id) answered \(status) after the failover")
            }
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }

        struct Misconfiguration: Sendable, CustomTestStringConvertible {
            let name: String
            /// The server's certificate (`TestCertificates`), or nil for a plaintext server.
            let certificate: String?
            var authClients = false
            /// The scheme the front is given.
            let scheme: String
            var environment: [String: String] = [:]
            /// Words the error must contain.
            let cause: [String]
            var testDescription: String { self.name }
        }

        static let misconfigurations: [Misconfiguration] = [
            Misconfiguration(
                name: "wrong CA", certificate: "other", scheme: "rediss", cause: ["not issued by a CA in redis.tls.ca_file"]
            ),
            Misconfiguration(name: "expired certificate", certificate: "expired", scheme: "rediss", cause: ["expired on 2020-02-01"]),
            Misconfiguration(
                name: "not yet valid certificate", certificate: "future", scheme: "rediss", cause: ["not valid before 2099-01-01"]
            ),
            Misconfiguration(
                name: "name mismatch under full", certificate: "named", scheme: "rediss",
                cause: ["does not name 127.0.0.1", "redis.tls.server_name"]
            ),
            Misconfiguration(name: "plaintext server behind rediss://", certificate: nil, scheme: "rediss", cause: ["use redis://"]),
            Misconfiguration(name: "TLS server behind redis://", certificate: "server", scheme: "redis", cause: ["use rediss://"]),
            Misconfiguration(
                name: "missing client certificate", certificate: "server", authClients: true, scheme: "rediss",
                cause: ["requires a client certificate", "redis.tls.cert_file"]
            ),
            Misconfiguration(
                name: "client certificate from another CA", certificate: "server", authClients: true, scheme: "rediss",
                environment: ["REDIS_TLS_CERT_FILE": TestCertificates.shared.path("other.crt"), "REDIS_TLS_KEY_FILE": TestCertificates.shared.path("other.key")],
                cause: ["refused the client certificate"]
            ),
            Misconfiguration(
                name: "unreadable CA file", certificate: "server", scheme: "rediss",
                environment: ["REDIS_TLS_CA_FILE": "/nonexistent/ca.crt"], cause: ["cannot read redis.tls.ca_file /nonexistent/ca.crt"]
            ),
        ]

        @Test(
            "each wrong setting: the writer CLI fails within its 5 s timeout, the front logs it and /health/ready says it; no hang, no crash",
            arguments: misconfigurations
        )
        func misconfigured(_ wrong: Misconfiguration) async throws {
            let redis = try await RedisServer.start(
                "tls-wrong",
                tls: wrong.certificate.map { (certificate: $0, authClients: wrong.authClients) }
            )
            let url = "\(wrong.scheme)://127.0.0.1:\(redis.port)"
            var environment = wrong.scheme == "rediss" ? Self.certificates.frontEnvironment() : [:]
            environment.merge(wrong.environment) { _, new in new }

            let started = ContinuousClock.now
            let cli = await self.cli(["create"], url: url, environment)
            let took = ContinuousClock.now - started
            print("misconfigured (\(wrong.name)): CLI exit \(cli.status) after \(took): \(cli.error)")
            #expect(cli.status == 4, "exit code of Redis unavailable")
            #expect(took < .seconds(7))
            for word in wrong.cause {
                #expect(cli.error.contains(word), "the CLI's error \(cli.error) does not say \(word)")
            }

            environment["METRICS_PORT"] = "\(freePort())"
            let front = try await Front.start("tls-wrong", redisURL: url, environment: environment)
            let ready = try await front.operatorReadiness()
            #expect(ready.status == 503)
            let reason = ready.json?["reason"] as? String ?? ""
            for word in wrong.cause {
                #expect(reason.contains(word), "/health/ready's reason \(reason) does not say \(word)")
            }
            #expect(await eventually(timeout: .seconds(3)) { front.child.log.contains("cannot connect to Redis") && wrong.cause.allSatisfy(front.child.log.contains) })
            #expect(try await front.get("/api/jobs/\(uniqueID())").status == 503, "polls answer 503, not hang")
            #expect(front.child.isRunning)
            await front.child.kill()
            await redis.stop()
        }

        @Test("a rotated password file and a rotated client certificate are used at the next reconnect, without a restart")
        func rotation() async throws {
            let directory = makeTemporaryDirectory("rotation")
            let redis = try await RedisServer.start(
                "tls-rotation",
                arguments: ["--requirepass", "first-password"],
                admin: ":first-password",
                tls: (certificate: "server", authClients: true)
            )
            let passwordFile = "\(directory)/password"
            try "first-password\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            // The front's client certificate lives where a secret store would mount it.
            let certificate = "\(directory)/client.crt"
            let key = "\(directory)/client.key"
            try FileManager.default.copyItem(atPath: Self.certificates.path("client.crt"), toPath: certificate)
            try FileManager.default.copyItem(atPath: Self.certificates.path("client.key"), toPath: key)
            var environment = Self.certificates.frontEnvironment()
            environment.merge([
                "REDIS_PASSWORD_FILE": passwordFile, "REDIS_TLS_CERT_FILE": certificate, "REDIS_TLS_KEY_FILE": key, "METRICS_PORT": "\(freePort())",
            ]) { _, new in new }
            let front = try await Front.start("tls-rotation", redis: redis, environment: environment)
            let id = await self.cli(["create", "--owner", "mis-1"], url: redis.url, environment).output
            #expect(try await front.get("/api/jobs/\(id)").status == 200)

            // Rotate the password: the server changes it, the file follows, live connections are cut.
            _ = try await redis.command(["CONFIG", "SET", "requirepass", "second-password"])
            redis.adminURL = "rediss://:second-password@127.0.0.1:\(redis.port)"
            try "second-password\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            // A certificate the server does not trust, then the right one again: the file is re-read.
            try FileManager.default.removeItem(atPath: certificate)
            try FileManager.default.removeItem(atPath: key)
            try FileManager.default.copyItem(atPath: Self.certificates.path("other.crt"), toPath: certificate)
            try FileManager.default.copyItem(atPath: Self.certificates.path("other.key"), toPath: key)
            _ = try await redis.command(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"])
            _ = try await redis.command(["CLIENT", "KILL", "TYPE", "pubsub"])
            #expect(await eventually(timeout: .seconds(5)) {
                ((try? await front.operatorReadiness())?.json?["reason"] as? String ?? "").contains("refused the client certificate")
            }, "the replaced certificate is the one presented")
            try FileManager.default.removeItem(atPath: certificate)
            try FileManager.default.removeItem(atPath: key)
            try FileManager.default.copyItem(atPath: Self.certificates.path("client.crt"), toPath: certificate)
            try FileManager.default.copyItem(atPath: Self.certificates.path("client.key"), toPath: key)
            let rotated = ContinuousClock.now
            #expect(await eventually(timeout: .seconds(5)) { (try? await front.get("/api/jobs/\(id)"))?.status == 200 })
            print("rotation: the front answered with the new password and certificate \(ContinuousClock.now - rotated) after they were in place")
            #expect(front.child.log.contains("reconnected to Redis"))
            #expect(!front.child.log.contains("second-password") && !front.child.log.contains("first-password"), "secrets never logged")
            await front.child.kill()
            await redis.stop()
        }
    }
}
