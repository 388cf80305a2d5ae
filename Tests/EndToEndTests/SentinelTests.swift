import Foundation
import JobStatusWriter
import NIOConcurrencyHelpers
import NIOCore
import RedisWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Topologies {
    /// The front, the writer and the CLI against a real Redis Sentinel deployment: one master, one
    /// replica, three sentinels, `down-after-milliseconds` 1000.
    @Suite("Redis Sentinel", .serialized)
    struct SentinelTests {
        enum FailoverKind: String {
            case switchover = "SENTINEL FAILOVER"
            case masterKilled = "master SIGKILLed"
        }

        private func front(_ name: String, _ group: SentinelGroup, sentinels: String? = nil, environment: [String: String] = [:]) async throws -> Front {
            try await Front.start(
                name,
                redisURL: sentinels ?? group.sentinelURLs,
                environment: group.frontEnvironment.merging(["REDIS_TIMEOUT": "500ms"].merging(environment) { _, new in new }) { _, new in new }
            )
        }

        private func writer(_ group: SentinelGroup, replicated: Bool = true) async throws -> JobWriter {
            let configuration = RedisConnectionConfiguration(
                url: RedisURL(host: SentinelGroup.masterName),
                commandTimeout: .seconds(2),
                sentinel: RedisSentinelConfiguration(
                    sentinels: try group.sentinels.map { try RedisURL(parsing: $0.url) },
                    masterName: SentinelGroup.masterName
                )
            )
            return try await JobWriter.connect(
                deployment: .sentinel(configuration, readFromReplicas: false),
                configuration: JobWriterConfiguration(durability: replicated ? .replicated(timeout: .seconds(1)) : .acknowledged),
                eventLoop: TestEventLoop.shared,
                logger: quietLogger
            )
        }

        @Test("SENTINEL FAILOVER under polls, long polls, an event stream and replicated writes: 503s for under 1 s, nothing stale, nothing lost")
        func switchover() async throws {
            try await self.failover(.switchover)
        }

        @Test("the master SIGKILLed under the same load: 503s only until the sentinels promote the replica (+ 1 s), nothing stale, nothing lost")
        func masterKilled() async throws {
            try await self.failover(.masterKilled)
        }

        private func failover(_ kind: FailoverKind) async throws {
            let group = try await SentinelGroup.start(kind == .switchover ? "switchover" : "killed")
            let front = try await self.front("sentinel-\(kind == .switchover ? "switchover" : "killed")", group)
            #expect(await eventually { (try? await front.get("/health/ready", token: nil))?.status == 200 })
            let writer = try await self.writer(group)
            let polled = (0..<8).map { "sp-\($0)-\(uniqueID())" }
            let waited = (0..<4).map { "sw-\($0)-\(uniqueID())" }
            let streamed = "ss-\(uniqueID())"
            for id in polled + waited + [streamed] {
                _ = try await writer.create(id: id, owner: "mis-1")
            }
            let (oldMaster, newMaster) = (group.dataNodes[0], group.dataNodes[1])

            // Long polls and an event stream, held across the failover.
            let longPolls = waited.map { id in
                Task { () -> Int in
                    let client = try front.client(timeout: .seconds(40))
                    return try await client.request("/api/jobs/\(id)?wait=30", token: Tokens.owner).status
                }
            }
            let stream = try front.client(timeout: .seconds(15))
            try stream.send(HTTPTestClient.requestText("/api/jobs/\(streamed)/events", token: Tokens.owner))
            #expect(try await stream.readStreamHead().status == 200)
            #expect(try await stream.readChunk().contains("id: 1"))
            #expect(await eventually { (try? await oldMaster.subscribers(of: "job:\(streamed)")) == 1 })

            let switched = try await SwitchMasterListener.listen(to: group.sentinels[1])
            let probe = FailoverProbe(front: front, writer: writer, jobs: polled)
            let load = Task { await probe.run() }
            try await Task.sleep(for: .seconds(1))
            let newMasterReadsBefore = try await newMaster.calls(of: "hmget")
            let triggered = ContinuousClock.now
            switch kind {
            case .switchover:
                _ = try await group.sentinels[0].command(["SENTINEL", "FAILOVER", SentinelGroup.masterName])
            case .masterKilled:
                oldMaster.child.signal(SIGKILL)
            }
            #expect(await group.waitForMaster(port: newMaster.port), "the replica was promoted")
            let switchedAt = try #require(await switched.instant(within: .seconds(30)), "a +switch-master was published")
            var firstNewMasterRead: ContinuousClock.Instant?
            _ = await eventually(timeout: .seconds(10)) {
                guard ((try? await newMaster.calls(of: "hmget")) ?? 0) > newMasterReadsBefore else { return false }
                firstNewMasterRead = ContinuousClock.now
                return true
            }
            if kind == .masterKilled {
                // Back empty and calling itself master, until the sentinels make it a replica: no
                // client may follow it there.
                try await oldMaster.restart()
            }
            #expect(await group.waitForReplica(port: oldMaster.port), "the old master replicates the new one")
            try await Task.sleep(for: .seconds(2))
            probe.stop()
            let figures = await load.value
            await switched.stop()

            // The stream and the long polls were not lost with the old master.
            _ = try await writer.processed(id: streamed, links: [JobLink(entity: "e", href: "/e/\(streamed)")])
            var streamEvents = ""
            let streamWoke = await eventually(timeout: .seconds(5)) {
                streamEvents += (try? await stream.readChunk()) ?? ""
                return streamEvents.contains("processed")
            }
            for id in waited {
                _ = try await writer.processed(id: id, links: [JobLink(entity: "e", href: "/e/\(id)")])
            }
            var longPollStatuses: [Int] = []
            for longPoll in longPolls {
                longPollStatuses.append((try? await longPoll.value) ?? -1)
            }

            // Every acknowledged write is there.
            var missing: [String] = []
            for (id, version) in probe.acknowledgedVersions {
                let response = try await front.get("/api/jobs/\(id)")
                let seen = FailoverProbe.version(ofTag: response.header("ETag") ?? "") ?? -1
                if seen < version { missing.append("\(id): version \(seen), acknowledged \(version)") }
            }

            let promoted = switchedAt - triggered
            let toFirstRead = firstNewMasterRead.map { "\($0 - switchedAt)" } ?? "never"
            print(
                "sentinel \(kind.rawValue): +switch-master \(promoted) after the trigger; first poll answered by the new master \(toFirstRead) after it; "
                    + "\(figures.polls) polls, \(figures.unavailable) answered 503 over a window of \(figures.unavailableWindow), \(figures.failures.count) failed otherwise, "
                    + "\(figures.stale.count) stale; \(figures.acknowledgedWrites) replicated writes acknowledged (\(figures.failedWrites) refused or unacknowledged), "
                    + "\(figures.acknowledgedWrites == 0 ? 0 : probe.acknowledgedVersions.count - missing.count) of \(probe.acknowledgedVersions.count) jobs at their acknowledged version afterwards; "
                    + "long polls answered \(longPollStatuses); the event stream \(streamWoke ? "delivered the write after the failover" : "missed the write")"
            )
            #expect(figures.polls > 100)
            #expect(figures.stale.isEmpty, "\(figures.stale.prefix(5))")
            #expect(figures.failures.isEmpty, "\(figures.failures.prefix(5))")
            #expect(missing.isEmpty, "\(missing.prefix(5))")
            #expect(figures.acknowledgedWrites > 10)
            #expect(firstNewMasterRead != nil, "the front reads from the new master")
            switch kind {
            case .switchover:
                #expect(figures.unavailableWindow < .seconds(1))
            case .masterKilled:
                // The window runs from the kill to the promotion (down-after + election) and at most 1 s after it.
                if let last = figures.lastUnavailable {
                    #expect(last - switchedAt < .seconds(1))
                }
                #expect(figures.unavailableWindow < promoted + .seconds(1))
            }
            #expect(longPollStatuses.allSatisfy { $0 == 200 || $0 == 303 }, "every long poll held across the failover is answered: \(longPollStatuses)")
            #expect(streamWoke, "the event stream follows the new master: \(streamEvents)")

            // The CLI, too, finds the master through the sentinels and waits for the replica.
            let cli = try await Binary.run(
                ["create", "--redis-url", group.sentinelURLs, "--redis-mode", "sentinel", "--sentinel-master", SentinelGroup.masterName,
                 "--durability", "replicated", "--owner", "mis-1"],
                environment: ["JOBSTATUS_CONFIG": ""]
            )
            #expect(cli.status == 0, "\(cli.error)")
            #expect(try await front.get("/api/jobs/\(cli.output)").status == 200)

            await writer.close()
            await front.child.kill()
            await group.stop()
        }

        @Test("the first listed sentinel is down at start-up and through a failover: discovery and failover still work")
        func sentinelDown() async throws {
            let group = try await SentinelGroup.start("one-down")
            await group.sentinels[0].stop()
            let front = try await self.front("sentinel-one-down", group)
            let started = ContinuousClock.now
            #expect(await eventually { (try? await front.get("/health/ready", token: nil))?.status == 200 })
            print("sentinel: ready \(ContinuousClock.now - started) after start-up with the first listed sentinel down")
            let writer = try await self.writer(group)
            let id = try await writer.create(owner: "mis-1").id
            #expect(try await front.get("/api/jobs/\(id)").status == 200)

            let killed = ContinuousClock.now
            group.dataNodes[0].child.signal(SIGKILL)
            #expect(await group.waitForMaster(port: group.dataNodes[1].port), "two sentinels of three still elect a leader")
            var answeredAgain: ContinuousClock.Instant?
            _ = await eventually(timeout: .seconds(10)) {
                guard (try? await front.get("/api/jobs/\(id)"))?.status == 200 else { return false }
                answeredAgain = ContinuousClock.now
                return true
            }
            let again = try #require(answeredAgain, "the front answers from the new master")
            print("sentinel: with one sentinel down, the master SIGKILLed; polls answered again \(again - killed) after the kill")
            #expect(again - killed < SentinelGroup.downAfter + .seconds(10))
            await writer.close()
            await front.child.kill()
            await group.stop()
        }

        @Test("sentinels that name a replica as the master: ROLE says so, nothing connects to it, and the front is ready once they name the master")
        func notTheMaster() async throws {
            let group = try await SentinelGroup.start("not-master")
            let (master, replica) = (group.dataNodes[0], group.dataNodes[1])
            func monitor(_ port: Int) async throws {
                for sentinel in group.sentinels {
                    _ = try await sentinel.command(["SENTINEL", "REMOVE", SentinelGroup.masterName])
                    _ = try await sentinel.command(["SENTINEL", "MONITOR", SentinelGroup.masterName, "127.0.0.1", "\(port)", "2"])
                }
            }
            try await monitor(replica.port)
            let front = try await self.front("sentinel-not-master", group, environment: ["METRICS_PORT": "\(freePort())"])
            let notReady = try await front.operatorReadiness()
            #expect(notReady.status == 503)
            #expect(notReady.body.contains("is not the master of 'jobs' (ROLE answered slave)"), "\(notReady.body)")
            do {
                _ = try await self.writer(group)
                Issue.record("a writer connected to a replica")
            } catch {
                #expect("\(error)".contains("ROLE answered slave"), "\(error)")
            }
            print("sentinel: the sentinels name a replica: /health/ready \(notReady.status) \(notReady.body)")
            try await monitor(master.port)
            #expect(await eventually(timeout: .seconds(10)) { (try? await front.get("/health/ready", token: nil))?.status == 200 })
            await front.child.kill()
            await group.stop()
        }

        @Test("every sentinel down at start-up: a clear error; the front retries and is ready once one answers")
        func allSentinelsDown() async throws {
            let group = try await SentinelGroup.start("all-down")
            for sentinel in group.sentinels {
                await sentinel.stop()
            }
            let front = try await self.front("sentinel-all-down", group, environment: ["METRICS_PORT": "\(freePort())"])
            let notReady = try await front.operatorReadiness()
            #expect(notReady.status == 503)
            #expect(notReady.body.contains("no sentinel answered"), "\(notReady.body)")
            let cli = try await Binary.run(
                ["get", "--redis-url", group.sentinelURLs, "--redis-mode", "sentinel", "--sentinel-master", SentinelGroup.masterName, "x"],
                environment: ["JOBSTATUS_CONFIG": ""]
            )
            #expect(cli.status != 0)
            #expect(cli.error.contains("no sentinel answered for master 'jobs'"), "\(cli.error)")
            print("sentinel: every sentinel down: /health/ready \(notReady.status) \(notReady.body); CLI: \(cli.error.trimmingCharacters(in: .whitespacesAndNewlines))")

            try await group.sentinels[2].restart()
            let restarted = ContinuousClock.now
            #expect(await eventually(timeout: .seconds(10)) { (try? await front.get("/health/ready", token: nil))?.status == 200 })
            print("sentinel: ready \(ContinuousClock.now - restarted) after one sentinel came back")
            await front.child.kill()
            await group.stop()
        }

        @Test("read_from replica: polls go to the replica; SIGSTOPped for 5 s, then answering LOADING, it costs no poll")
        func replicaReads() async throws {
            let group = try await SentinelGroup.start("replica-reads")
            let (master, replica) = (group.dataNodes[0], group.dataNodes[1])
            let front = try await self.front("sentinel-replica-reads", group, environment: ["REDIS_READ_FROM": "replica"])
            let writer = try await self.writer(group)
            var ids: [String] = []
            for _ in 0..<10 {
                ids.append(try await writer.create(owner: "mis-1").id)
            }
            #expect(await eventually(timeout: .seconds(15)) {
                _ = try? await front.get("/api/jobs/\(ids[0])")
                return ((try? await replica.calls(of: "hmget")) ?? 0) > 0
            }, "the replica answers polls")
            let masterReadsBefore = try await master.calls(of: "hmget")
            for id in ids {
                #expect(try await front.get("/api/jobs/\(id)").status == 200)
            }
            #expect(try await master.calls(of: "hmget") == masterReadsBefore, "polls never reach the master while the replica answers")

            let (stopped, loading) = try await PollLoad.acrossReplicaStalls(front, ids: ids, replica: replica, label: "sentinel")
            #expect(stopped.polls > 100 && loading.polls > 100)
            #expect(stopped.failed == 0, "\(stopped.failures.prefix(5))")
            #expect(loading.failed == 0, "\(loading.failures.prefix(5))")
            #expect(try await master.calls(of: "hmget") > masterReadsBefore, "the master answered while the replica could not")
            await writer.close()
            await front.child.kill()
            await group.stop()
        }
    }

    /// Subscribes to `+switch-master` on a sentinel and notes when the first one arrives.
    final class SwitchMasterListener: RedisPushReceiver, @unchecked Sendable {
        private let arrived = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
        private var connection: RedisConnection?

        static func listen(to sentinel: RedisServer) async throws -> SwitchMasterListener {
            let listener = SwitchMasterListener()
            let url = try RedisURL(parsing: sentinel.url)
            try await TestEventLoop.shared.flatSubmit {
                let connection = RedisConnection(
                    eventLoop: TestEventLoop.shared,
                    configuration: RedisConnectionConfiguration(url: url, commandTimeout: .seconds(2)),
                    logger: quietLogger,
                    pushReceiver: listener
                )
                listener.connection = connection
                return connection.start().assumeIsolated()
                    .flatMap { connection.send(["SUBSCRIBE", "+switch-master"]) }
                    .map { _ in }
                    .nonisolated()
            }.get()
            return listener
        }

        func receive(_ event: PubSubEvent) {
            guard case .message = event else { return }
            let now = ContinuousClock.now
            self.arrived.withLockedValue { $0 = $0 ?? now }
        }

        func instant(within timeout: Duration) async -> ContinuousClock.Instant? {
            _ = await eventually(timeout: timeout) { self.arrived.withLockedValue { $0 } != nil }
            return self.arrived.withLockedValue { $0 }
        }

        func stop() async {
            try? await TestEventLoop.shared.flatSubmit { self.connection?.shutdown() ?? TestEventLoop.shared.makeSucceededVoidFuture() }.get()
        }
    }
}
