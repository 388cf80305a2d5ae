import Foundation
import JobStatusWriter
import RedisWire
import Testing

extension RedisOnly {
    /// Config/users.acl: the front and the writer run as least-privileged Redis users.
    @Suite("Least privilege in Redis")
    struct ACLTests {
        static let aclFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/users.acl")
            .standardized.path

        @Test("the front and the writer work as their ACL users, and the front's user can do nothing else")
        func leastPrivilege() async throws {
            let redis = try await RedisServer.start(
                "acl",
                arguments: ["--aclfile", Self.aclFile],
                admin: "jobstatus-admin:admin-demo-password"
            )
            let frontURL = "redis://jobstatus-front:front-demo-password@127.0.0.1:\(redis.port)"
            let writerURL = "redis://jobstatus-writer:writer-demo-password@127.0.0.1:\(redis.port)"
            let front = try await Front.start("acl", redisURL: frontURL)
            let writer = try await JobWriter.connect(url: try RedisURL(parsing: writerURL), eventLoop: TestEventLoop.shared, logger: quietLogger)
            defer { Task { await writer.close(); await front.child.kill(); await redis.stop() } }

            // Everything the product does works.
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            let waiter = try front.client(timeout: .seconds(10))
            try waiter.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=5", token: Tokens.owner))
            try await Task.sleep(for: .milliseconds(300))
            _ = try await writer.processed(id: id, links: [JobLink(entity: "e", href: "/e")])
            #expect(try await waiter.readResponse().status == 303, "a long poll: SUBSCRIBE, then HMGET")
            #expect(try await writer.get(id: id)?.status == .processed)
            #expect(try await front.get("/health/ready", token: nil).status == 200)
            let cli = try await Binary.run(["create", "--redis-url", writerURL])
            #expect(cli.status == 0, "\(cli.error)")

            // The front's user reads job records and nothing else.
            let refused: [[String]] = [
                ["HSET", "job:\(id)", "status", "pending"], ["DEL", "job:\(id)"], ["HMGET", "other:1", "status"],
                ["GET", "job:\(id)"], ["KEYS", "*"], ["EVAL", "return 1", "0"], ["PUBLISH", "job:\(id)", "x"],
                ["FLUSHALL"], ["CONFIG", "GET", "*"], ["SUBSCRIBE", "other"],
            ]
            for command in refused {
                await #expect(throws: RedisError.self, "front user: \(command.joined(separator: " "))") {
                    _ = try await redis.command(command, as: frontURL)
                }
            }
            // The writer's user works on job keys only.
            for command in [["GET", "other:1"], ["FLUSHALL"], ["HSET", "other:1", "a", "b"], ["CONFIG", "GET", "*"]] {
                await #expect(throws: RedisError.self, "writer user: \(command.joined(separator: " "))") {
                    _ = try await redis.command(command, as: writerURL)
                }
            }
            // Without a user, nobody gets in.
            await #expect(throws: (any Error).self) { _ = try await redis.command(["PING"], as: redis.url) }
        }
    }
}
