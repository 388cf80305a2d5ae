import JobStatusCore
import JobStatusWriter
import RedisWire

/// One Redis and one front shared by the suites that only read and write their own jobs (every
/// test uses fresh ids), so the whole end-to-end run starts few processes.
actor SharedEnvironment {
    static let shared = SharedEnvironment()

    private var started: Task<(RedisServer, Front, JobWriter), any Error>?

    func get() async throws -> (redis: RedisServer, front: Front, writer: JobWriter) {
        if self.started == nil {
            self.started = Task {
                let redis = try await RedisServer.start("shared")
                redis.isShared = true
                // Its tests are not about Redis timeouts (those have fronts of their own): on a 2-core
                // machine running every suite at once, a stall over the usual 500 ms made this front
                // drop its Redis connection and answer 503 to unrelated tests for seconds. Every
                // front on this Redis gets the same timeout (`Front.start(_:redis:)`).
                let front = try await Front.start("shared", redis: redis)
                let writer = try await JobWriter.connect(url: try RedisURL(parsing: redis.url), eventLoop: TestEventLoop.shared, logger: quietLogger)
                return (redis, front, writer)
            }
        }
        return try await self.started!.value
    }
}

/// A Redis, a front and a writer of one test's own, for tests that stop, pause or load them.
enum PrivateEnvironment {
    static func start(_ name: String, front environment: [String: String] = [:]) async throws -> (RedisServer, Front, JobWriter) {
        let redis = try await RedisServer.start(name)
        let front = try await Front.start(name, redis: redis, environment: environment)
        let writer = try await JobWriter.connect(url: try RedisURL(parsing: redis.url), eventLoop: TestEventLoop.shared, logger: quietLogger)
        return (redis, front, writer)
    }

    static func stop(_ redis: RedisServer, _ front: Front, _ writer: JobWriter) async {
        await writer.close()
        await front.child.kill()
        await redis.stop()
    }
}

/// A fresh job id for one test.
func uniqueID(_ prefix: String = "t") -> String {
    "\(prefix)-\(JobID.generate())"
}
