import Foundation
import Testing

extension RedisOnly {
    /// The worker subcommands of the real binary: output and documented exit codes.
    @Suite("The jobstatus command line")
    struct CLITests {
        private func run(_ arguments: [String], redis: RedisServer) async -> (status: Int32, output: String, error: String) {
            (try? await Binary.run(arguments, environment: ["REDIS_URL": redis.url, "JOBSTATUS_CONFIG": ""])) ?? (-1, "", "could not run")
        }

        @Test("the whole life of a job, and get's JSON")
        func lifecycle() async throws {
            let (redis, front, _) = try await SharedEnvironment.shared.get()
            let created = await self.run(["create", "--owner", "mis-1", "--eta", "2026-11-28T12:00:00+02:00"], redis: redis)
            #expect(created.status == 0, "\(created.error)")
            let id = created.output
            #expect(id.utf8.count == 22)
            #expect(await self.run(["progress", id, "--eta", "5m"], redis: redis).status == 0)
            let processed = await self.run(["processed", id, "--link", "encounter=/api/e/1", "--link", "condition=/api/c/2"], redis: redis)
            #expect(processed.status == 0)
            #expect(processed.output == "updated (version 3)")
            #expect(await self.run(["processed", id, "--link", "encounter=/api/e/1", "--link", "condition=/api/c/2"], redis: redis).output == "unchanged (version 3)")

            let get = await self.run(["get", id], redis: redis)
            #expect(get.status == 0)
            let record = try #require(try JSONSerialization.jsonObject(with: Data(get.output.utf8)) as? [String: Any])
            #expect(record["status"] as? String == "processed")
            #expect(record["owner"] as? String == "mis-1")
            #expect(record["version"] as? Int == 3)
            #expect((record["links"] as? [[String: String]])?.count == 2)
            #expect((record["ttl"] as? Int ?? 0) > 600_000)

            #expect(try await front.get("/api/jobs/\(id)").status == 303)
        }

        @Test("failed and failed-with-error through the CLI")
        func failures() async throws {
            let (redis, front, _) = try await SharedEnvironment.shared.get()
            let text = await self.run(["create"], redis: redis).output
            #expect(await self.run(["failed", text, "--status-code", "404", "--error", "Patient not found"], redis: redis).status == 0)
            let data = try #require(try await front.get("/api/jobs/\(text)").json?["data"] as? [String: Any])
            #expect(data["error"] as? String == "Patient not found")

            let json = await self.run(["create"], redis: redis).output
            #expect(await self.run(["failed", json, "--status-code", "409", "--error", #"{"type":"request_conflict","message":"m"}"#], redis: redis).status == 0)
            let conflict = try #require(try await front.get("/api/jobs/\(json)").json?["data"] as? [String: Any])
            #expect((conflict["error"] as? [String: String])?["type"] == "request_conflict")

            let system = await self.run(["create"], redis: redis).output
            #expect(await self.run(["failed-with-error", system, "--message", "disk full"], redis: redis).status == 0)
            let systemData = try #require(try await front.get("/api/jobs/\(system)").json?["data"] as? [String: Any])
            #expect(systemData["status_code"] as? String == "500")
        }

        @Test("exit codes: usage 64, not found 2, refused 3, Redis unavailable 4")
        func exitCodes() async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            let id = await self.run(["create"], redis: redis).output
            let cases: [([String], Int32)] = [
                (["get", uniqueID()], 2),
                (["processed", uniqueID(), "--response-data", "{}"], 2),
                (["create", "--id", id], 3),
                (["failed", id, "--status-code", "404", "--error", "x"], 0),
                (["failed", id, "--status-code", "403", "--error", "y"], 3),
                (["create", "--id", "not valid!"], 64),
                (["failed", uniqueID(), "--status-code", "422", "--error", "not an object"], 64),
                (["processed", id], 64),
                (["processed", id, "--link", "no-equals-sign"], 64),
                (["create", "--eta", "whenever"], 64),
                (["create", "--ttl", "0s"], 64),
                // Durations beyond range are usage errors, not traps; the TTL has the contract's maximum.
                (["create", "--ttl", "99999999999999999999"], 64),
                (["create", "--ttl", "99999999999999999999s"], 64),
                (["create", "--ttl", "3651d"], 64),
                (["create", "--eta", "99999999999999999999s"], 64),
                (["create", "--eta", "2026-06-30T24:00:00Z"], 64),
                (["failed", id, "--status-code", "404", "--error", "x", "--ttl", "1e999"], 64),
                (["frobnicate"], 64),
                (["create", "--redis-url", "redis://127.0.0.1:1"], 4),
                (["create", "--redis-url", "http://nope"], 78),
            ]
            for (arguments, expected) in cases {
                let result = await self.run(arguments, redis: redis)
                #expect(result.status == expected, "\(arguments): \(result.error)")
                if expected != 0 {
                    #expect(!result.error.isEmpty, "\(arguments) explains itself on stderr")
                }
            }
        }

        @Test("serve refuses unusable configuration with exit 78 and a message naming the key")
        func serveConfiguration() async throws {
            let result = try await Binary.run(["serve"], environment: ["HTTP_PORT": "eighty", "AUTH_MODE": "none", "JOBSTATUS_CONFIG": ""])
            #expect(result.status == 78)
            #expect(result.error.contains("HTTP_PORT"))
            let noTokens = try await Binary.run(["serve"], environment: ["AUTH_MODE": "tokens", "AUTH_TOKENS_FILE": "", "JOBSTATUS_CONFIG": ""])
            #expect(noTokens.status == 78)
            #expect(noTokens.error.contains("auth.tokens_file"))
            for (variable, value) in [("HTTP_IDLE_TIMEOUT", "99999999999999999999s"), ("HTTP_WRITE_TIMEOUT", "36501d"), ("REDIS_TIMEOUT", "1e999")] {
                let huge = try await Binary.run(["serve"], environment: [variable: value, "AUTH_MODE": "none", "JOBSTATUS_CONFIG": ""])
                #expect(huge.status == 78, "\(variable)=\(value): \(huge.error)")
                #expect(huge.error.contains(variable), "\(huge.error)")
            }
        }
    }
}
