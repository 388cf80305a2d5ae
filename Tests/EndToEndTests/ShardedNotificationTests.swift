import Foundation
import JobStatusWriter
import RedisWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension LoadTests {
    /// Waiting at cluster scale: the write script's `SPUBLISH` stays in the job's shard, the front
    /// subscribes on the shard of each job, and its subscriptions follow migrations and failovers.
    /// In the load pass: its clusters (up to 12 redis-server processes) load the machine, and it
    /// measures wake-up bounds that a machine running 40 suites at once would blur.
    @Suite("Sharded notifications in a Redis Cluster", .serialized)
    struct ShardedNotificationTests {
        private func front(_ name: String, _ cluster: RedisCluster) async throws -> Front {
            try await Front.start(name, redisURL: cluster.seeds, environment: ["REDIS_MODE": "cluster"])
        }

        /// Sends a long poll of `id` (without If-None-Match: it waits while the job is pending).
        private func longPoll(_ front: Front, _ id: String, wait: Int) throws -> HTTPTestClient {
            let client = try front.client(timeout: .seconds(wait + 10))
            try client.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=\(wait)", token: Tokens.owner))
            return client
        }

        @Test(
            "writes to jobs waited on across every shard wake their waiters; no classic publish crosses the bus; every primary holds subscriptions",
            arguments: [3, 6]
        )
        func everyShard(primaries: Int) async throws {
            let cluster = try await RedisCluster.start("sharded-\(primaries)", primaries: primaries)
            let front = try await self.front("sharded-\(primaries)", cluster)
            let writer = try await cluster.writer()
            let owners = try await cluster.nodes().filter(\.isPrimary)
            #expect(owners.count == primaries)
            var waits: [(id: String, port: Int, client: HTTPTestClient)] = []
            for owner in owners {
                for id in RedisCluster.ids(inSlot: owner.slots[0].lowerBound, count: 3) {
                    _ = try await writer.create(id: id)
                    waits.append((id, owner.port, try self.longPoll(front, id, wait: 20)))
                }
            }
            let subscribed = await eventually(timeout: .seconds(10)) {
                for owner in owners where (try? await cluster.shardChannels(on: owner.port).count) != 3 { return false }
                return true
            }
            #expect(subscribed, "each primary holds the sharded subscriptions of its jobs")
            var perNode: [Int: Int] = [:]
            for owner in owners {
                perNode[owner.port] = try await cluster.shardChannels(on: owner.port).count
            }
            let publishBefore = try await cluster.busMessages("cluster_stats_messages_publish_sent")
            let shardBefore = try await cluster.busMessages("cluster_stats_messages_publishshard_sent")
            var slowest = Duration.zero
            for wait in waits {
                let written = ContinuousClock.now
                _ = try await writer.processed(id: wait.id, responseData: #"{"node":\#(wait.port)}"#)
                let response = try await wait.client.readResponse()
                #expect(response.status == 200, "\(wait.id) on \(wait.port)")
                slowest = max(slowest, ContinuousClock.now - written)
            }
            let publish = try await cluster.busMessages("cluster_stats_messages_publish_sent") - publishBefore
            let shard = try await cluster.busMessages("cluster_stats_messages_publishshard_sent") - shardBefore
            print(
                "\(primaries) primaries: \(waits.count) waiters woken, slowest \(slowest) after its write; per write "
                    + "\(Double(publish) / Double(waits.count)) classic publish and \(Double(shard) / Double(waits.count)) "
                    + "publishshard bus messages; sharded subscriptions per primary \(perNode.sorted { $0.key < $1.key }.map(\.value))"
            )
            #expect(publish == 0, "classic PUBLISH would cross the bus to every node")
            #expect(slowest < .seconds(2))
            let metrics = try await front.metrics()
            #expect((metrics.value("jobstatus_redis_sharded_messages_total") ?? 0) >= Double(waits.count))
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }

        @Test("a slot with parked long polls and an open event stream migrates while writes continue: every waiter answers the write made after the move")
        func migration() async throws {
            let cluster = try await RedisCluster.start("sharded-migration")
            let front = try await self.front("sharded-migration", cluster)
            let writer = try await cluster.writer()
            let slot = HashSlot.slot(for: "job:\(uniqueID())")
            let ids = RedisCluster.ids(inSlot: slot, count: 5)
            for id in ids {
                _ = try await writer.create(id: id, owner: "mis-1")
            }
            let (streamed, polled, busy) = (ids[0], Array(ids[1...3]), ids[4])
            let source = try await cluster.primary(forSlot: slot)
            let target = try #require(try await cluster.nodes().first { $0.isPrimary && $0.id != source.id })
            let waiters = try polled.map { try self.longPoll(front, $0, wait: 40) }
            let stream = try front.client(timeout: .seconds(40))
            try stream.send(HTTPTestClient.requestText("/api/jobs/\(streamed)/events", token: Tokens.owner))
            _ = try await stream.readStreamHead()
            #expect(try await stream.readChunk().contains("id: 1"))
            #expect(await eventually(timeout: .seconds(5)) { (try? await cluster.shardChannels(on: source.port).count) == 4 })

            // Writes to another job of the slot keep coming through the whole migration.
            let keepWriting = Task {
                var writes = 0
                while !Task.isCancelled {
                    let eta = JobETA(parsing: "2030-01-01T00:00:\(String(format: "%02d", writes % 60)).000Z")
                    if (try? await writer.progress(id: busy, eta: eta)) != nil { writes += 1 }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return writes
            }
            let sourceServer = cluster.server(port: source.port)
            let targetServer = cluster.server(port: target.port)
            _ = try await targetServer.command(["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", source.id])
            _ = try await sourceServer.command(["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", target.id])
            while let key = try await sourceServer.command(["CLUSTER", "GETKEYSINSLOT", "\(slot)", "1"]).array?.first?.string {
                _ = try await sourceServer.command(["MIGRATE", "127.0.0.1", "\(target.port)", "", "0", "5000", "KEYS", key])
                try await Task.sleep(for: .milliseconds(50))
            }
            for server in [targetServer, sourceServer] + cluster.servers.filter({ $0.port != target.port && $0.port != source.port }) {
                _ = try? await server.command(["CLUSTER", "SETSLOT", "\(slot)", "NODE", target.id])
            }
            let moved = ContinuousClock.now
            let followed = await eventually(timeout: .seconds(10)) {
                let onTarget = try? await cluster.shardChannels(on: target.port).count
                let onSource = try? await cluster.shardChannels(on: source.port).count
                return onTarget == 4 && onSource == 0
            }
            print("sharded subscriptions followed slot \(slot) from \(source.port) to \(target.port) \(ContinuousClock.now - moved) after the move")
            #expect(followed)
            keepWriting.cancel()
            let writes = await keepWriting.value
            #expect(writes > 10, "writes continued during the migration")

            for (id, waiter) in zip(polled, waiters) {
                let written = ContinuousClock.now
                _ = try await writer.processed(id: id, links: [JobLink(entity: "e", href: "/e/\(id)")])
                let response = try await waiter.readResponse()
                #expect(response.status == 303, "\(id): woken by the write made after the move")
                #expect(ContinuousClock.now - written < .seconds(2))
            }
            _ = try await writer.failedWithError(id: streamed, message: "after the move")
            let chunk = try await stream.readChunk()
            #expect(chunk.contains("failed_with_error"), "the stream's next event is the write after the move (the re-read after it found nothing new)")
            let metrics = try await front.metrics()
            let resubscribed = metrics.value(#"jobstatus_redis_resubscriptions_total{cause="migration"}"#) ?? 0
            print("re-subscriptions after the migration: \(resubscribed)")
            #expect(resubscribed >= 4)
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }

        @Test(
            "a mixed fleet: with cluster_notifications both, a classic PUBLISH (a writer of the previous version) wakes a waiter as SPUBLISH does; with sharded alone it answers at its deadline with the current state"
        )
        func mixedFleet() async throws {
            let cluster = try await RedisCluster.start("sharded-mixed")
            let bridged = try await Front.start(
                "sharded-both",
                redisURL: cluster.seeds,
                environment: ["REDIS_MODE": "cluster", "REDIS_CLUSTER_NOTIFICATIONS": "both"]
            )
            let sharded = try await self.front("sharded-only", cluster)
            let writer = try await cluster.writer()
            let (bridgedID, shardedID, newID) = (uniqueID(), uniqueID(), uniqueID())
            for id in [bridgedID, shardedID, newID] {
                _ = try await writer.create(id: id)
            }
            let bridgedWaiter = try self.longPoll(bridged, bridgedID, wait: 20)
            let shardedWaiter = try self.longPoll(sharded, shardedID, wait: 3)
            let bridgedNew = try self.longPoll(bridged, newID, wait: 20)
            try await Task.sleep(for: .milliseconds(500))
            let asked = ContinuousClock.now

            // A writer of the previous version: the record written, then a classic PUBLISH.
            for id in [bridgedID, shardedID] {
                let key = "job:\(id)"
                let owner = cluster.server(port: try await cluster.primary(forSlot: HashSlot.slot(for: key)).port)
                _ = try await owner.command(["HSET", key, "status", "processed", "status_code", "200", "response_data", "{}", "version", "2"])
                _ = try await owner.command(["PUBLISH", key, "2 processed"])
            }
            let woken = ContinuousClock.now
            #expect(try await bridgedWaiter.readResponse().status == 200)
            let bridgedAfter = ContinuousClock.now - woken
            // A writer of this version (SPUBLISH) wakes the bridged front too.
            _ = try await writer.processed(id: newID, responseData: "{}")
            #expect(try await bridgedNew.readResponse().status == 200)
            let shardedResponse = try await shardedWaiter.readResponse()
            let shardedAfter = ContinuousClock.now - asked
            print("mixed fleet: the bridged front woke \(bridgedAfter) after a classic PUBLISH; the sharded-only front answered at its deadline, \(shardedAfter) after the wait began")
            #expect(bridgedAfter < .seconds(2))
            #expect(shardedResponse.status == 200, "the deadline's read has the current state")
            #expect(shardedAfter >= .milliseconds(2000), "not woken by the classic message: the fallback is the deadline")
            await writer.close()
            await bridged.child.kill()
            await sharded.child.kill()
            await cluster.stop()
        }

        @Test("a primary with waiters is killed: they are subscribed again on the promoted replica, and a write acknowledged there wakes them within the failover time + 2 s")
        func failover() async throws {
            let cluster = try await RedisCluster.start("sharded-failover")
            let front = try await self.front("sharded-failover", cluster)
            let writer = try await cluster.writer()
            let victim = try #require(try await cluster.nodes().first(where: \.isPrimary))
            let slot = victim.slots[0].lowerBound
            let ids = RedisCluster.ids(inSlot: slot, count: 4)
            let replicated = try await cluster.replicatedWriter()
            for id in ids {
                _ = try await replicated.create(id: id, owner: "mis-1")
            }
            let waiters = try ids.map { try self.longPoll(front, $0, wait: 40) }
            #expect(await eventually(timeout: .seconds(5)) { (try? await cluster.shardChannels(on: victim.port).count) == ids.count })

            cluster.server(port: victim.port).child.signal(SIGKILL)
            let killed = ContinuousClock.now
            var promoted: RedisCluster.Node?
            while ContinuousClock.now - killed < .seconds(30), promoted == nil {
                promoted = try? await cluster.nodes().first { $0.isPrimary && !$0.failed && $0.port != victim.port && $0.slots.contains { $0.contains(slot) } }
                if promoted == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            let newPrimary = try #require(promoted, "the replica was not promoted")
            let failoverTime = ContinuousClock.now - killed
            // The write goes to the promoted replica (which has no replica of its own to wait for)
            // once the writer's map shows it; a repeat of an identical write is a no-op, so
            // retrying is safe.
            for id in ids {
                let written = await eventually(timeout: .seconds(5)) {
                    (try? await writer.processed(id: id, links: [JobLink(entity: "e", href: "/e/\(id)")])) != nil
                }
                #expect(written, "\(id) written on the promoted replica")
            }
            for waiter in waiters {
                let response = try await waiter.readResponse()
                #expect(response.status == 303)
            }
            let answered = ContinuousClock.now - killed
            print("sharded failover: replica promoted \(failoverTime) after the kill; every waiter answered the write made on it \(answered) after the kill")
            #expect(answered < failoverTime + .seconds(2))
            #expect(try await cluster.shardChannels(on: newPrimary.port).count == ids.count, "subscribed again on the promoted replica")
            let metrics = try await front.metrics()
            #expect((metrics.value(#"jobstatus_redis_resubscriptions_total{cause="failover"}"#) ?? 0) >= Double(ids.count))
            await replicated.close()
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }
    }
}
