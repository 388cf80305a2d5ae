import Foundation
import Testing

extension LoadTests {
    /// Long polls woken by their writes, on one Redis and on a 3-primary cluster with sharded
    /// notifications, in one run (scripts/bench/longpoll.py, the measurement `make bench` prints
    /// with 10,000 waiters on the release build). The tests run the debug build, whose re-reads
    /// after a burst of 10,000 wakes outlast `redis.timeout`: 2,000 here, every one of which must
    /// answer with its job's new state.
    @Suite("Long polls at cluster scale")
    struct ClusterLongPollLoadTests {
        static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
        static let waiters = 2_000

        /// Seeds `waiters` pending jobs, parks a long poll on each, writes each once, and returns
        /// longpoll.py's figures.
        private func run(front: Front, redisURL: String, prefix: String, cluster: Bool) async throws -> [String: Any] {
            let flags = cluster ? ["--cluster"] : []
            let seeded = try await runProcess(
                "/usr/bin/env",
                ["python3", "\(Self.repository)/scripts/bench/seed.py", redisURL, "\(Self.waiters)", prefix, "--pending"] + flags
            )
            guard seeded.status == 0 else { throw TestFailure("seeding failed: \(seeded.error)") }
            let measured = try await runProcess(
                "/usr/bin/env",
                ["python3", "\(Self.repository)/scripts/bench/longpoll.py", "127.0.0.1", "\(front.port)", Tokens.owner, redisURL,
                 "\(Self.waiters)", prefix, "\(front.child.pid)"] + flags
            )
            guard measured.status == 0, let figures = try JSONSerialization.jsonObject(with: Data(measured.output.utf8)) as? [String: Any] else {
                throw TestFailure("longpoll.py failed: \(measured.error)")
            }
            return figures
        }

        @Test("2,000 long polls on one Redis and on a 3-primary cluster: every waiter woken by its write; the cluster bus carries no classic publish; wake-up p50/p99 of both")
        func tenThousandWaiters() async throws {
            let limits = ["LIMITS_MAX_WAITERS_PER_CLIENT": "1000000", "LIMITS_RATE": "0", "LOG_LEVEL": "warning"]
            let (redis, front, writer) = try await PrivateEnvironment.start("longpoll-standalone", front: limits)
            let standalone = try await self.run(front: front, redisURL: redis.url, prefix: "lp-", cluster: false)
            await PrivateEnvironment.stop(redis, front, writer)

            let cluster = try await RedisCluster.start("longpoll-cluster")
            let clusterFront = try await Front.start(
                "longpoll-cluster",
                redisURL: cluster.seeds,
                environment: limits.merging(["REDIS_MODE": "cluster"]) { _, new in new }
            )
            let sharded = try await self.run(front: clusterFront, redisURL: cluster.servers[0].url, prefix: "clp-", cluster: true)
            await clusterFront.child.kill()
            await cluster.stop()

            for (name, figures) in [("standalone", standalone), ("3-primary cluster", sharded)] {
                print(
                    "\(Self.waiters) long polls, \(name): \(figures["answered"] ?? "?") answered \(figures["statuses"] ?? "?"); wake-up p50 "
                        + "\(figures["wake_p50_ms"] ?? "?") ms, p99 \(figures["wake_p99_ms"] ?? "?") ms, max \(figures["wake_max_ms"] ?? "?") ms; "
                        + "front peak RSS \(figures["front_peak_rss_mb"] ?? "?") MB"
                )
                #expect(figures["answered"] as? Int == Self.waiters, "\(name)")
                #expect((figures["statuses"] as? [String: Int]) == ["303": Self.waiters], "\(name): every waiter has its job's new state")
            }
            print(
                "cluster bus per write: \(sharded["bus_publish_per_write"] ?? "?") publish, \(sharded["bus_publishshard_per_write"] ?? "?") "
                    + "publishshard; sharded subscriptions per node \(sharded["subscriptions_per_node"] ?? "?")"
            )
            #expect((sharded["bus_publish_per_write"] as? Double) == 0)
            let perNode = (sharded["subscriptions_per_node"] as? [String: Int]) ?? [:]
            #expect(perNode.filter { $0.key.hasPrefix("primary") }.allSatisfy { $0.value > Self.waiters / 5 }, "spread over every primary")
        }
    }
}
