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
                let front = try await Front.start("shared", redis: redis)
                let writer = try await JobWriter.connect(url: try RedisURL(parsing: redis.url), eventLoop: TestEventLoop.shared, logger: quietLogger)
                return (redis, front, writer)
            }
        }
        return try await self.started!.value
    }
}

/// A fresh job id for one test.
func uniqueID(_ prefix: String = "t") -> String {
    "\(prefix)-\(JobID.generate())"
}
