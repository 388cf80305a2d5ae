import Foundation
import Testing

extension Tooling {
    /// The documented Python worker example calls the same Lua file; the front serves what it wrote.
    @Suite("Python worker example")
    struct PythonWorkerTests {
        private static var script: String {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/python/worker.py")
                .standardized.path
        }

        private func python(_ arguments: [String], redis: RedisServer) async throws -> (status: Int32, output: String, error: String) {
            try await runProcess("/usr/bin/env", ["python3", Self.script, "--redis-url", redis.url] + arguments)
        }

        @Test("create, progress and complete a job from Python; poll it through the front")
        func lifecycle() async throws {
            let (redis, front, _) = try await SharedEnvironment.shared.get()
            let id = uniqueID("py")
            let created = try await self.python(["create", id, "--owner", "mis-1", "--eta-seconds", "30"], redis: redis)
            #expect(created.status == 0, "\(created.error)")
            #expect(try await front.get("/api/jobs/\(id)").status == 200)
            #expect(try await self.python(["progress", id, "--eta-seconds", "60"], redis: redis).status == 0)
            let done = try await self.python(["processed", id, "--link", "encounter=/api/encounters/1"], redis: redis)
            #expect(done.status == 0, "\(done.error)")
            let response = try await front.get("/api/jobs/\(id)")
            #expect(response.status == 303)
            #expect(response.body.contains(#"{"entity":"encounter","href":"/api/encounters/1"}"#))
            let again = try await self.python(["processed", id, "--link", "encounter=/api/encounters/1"], redis: redis)
            #expect(again.output.contains("unchanged"))
        }

        @Test("the script's refusals reach Python as errors with their code")
        func refusals() async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            let id = uniqueID("py")
            #expect(try await self.python(["create", id], redis: redis).status == 0)
            let invalid = try await self.python(["failed", id, "--status-code", "422", "--error", #"{"type":"x","message":"m"}"#], redis: redis)
            #expect(invalid.status != 0)
            #expect(invalid.error.contains("INVALID"))
            #expect(try await self.python(["failed", id, "--status-code", "404", "--error", #""gone""#], redis: redis).status == 0)
            let refused = try await self.python(["failed-with-error", id, "--message", "late"], redis: redis)
            #expect(refused.error.contains("REFUSED"))
        }

        @Test("the Python example gives every vector of the record contract its verdict")
        func vectors() async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            let runner = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/contract/vectors.py")
                .standardized.path
            let result = try await runProcess("/usr/bin/env", ["python3", runner, redis.url])
            print(result.output)
            #expect(result.status == 0, "\(result.output)\n\(result.error)")
            #expect(result.output.contains(" 0 disagreements"))
        }
    }
}
